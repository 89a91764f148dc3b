import { createWebhookBody } from './webhook.dto';
import { signatureOf } from './webhook-events';

describe('webhook URL', () => {
  const parse = (url: string) => createWebhookBody.safeParse({ url, events: ['run.failed'] });

  it('takes https anywhere and http only to this machine', () => {
    expect(parse('https://alerts.example.com/hook').success).toBe(true);
    expect(parse('http://127.0.0.1:8080/hook').success).toBe(true);
    expect(parse('http://localhost/hook').success).toBe(true);
    expect(parse('http://[::1]:9000/').success).toBe(true);
    const refused = parse('http://alerts.example.com/hook');
    expect(refused.success).toBe(false);
    expect(refused.error!.issues[0].message).toBe('url must use https (http is accepted only for 127.0.0.1 or localhost, for tests and development)');
    expect(parse('http://127.0.0.1.example.com/').success).toBe(false);
    expect(parse('ftp://alerts.example.com/').success).toBe(false);
  });

  it('defaults the invalid-row threshold to 20 %', () => {
    expect(parse('https://a.example/').data!.invalidShareThreshold).toBe(0.2);
  });
});

describe('signatureOf', () => {
  it('is the hex HMAC-SHA256 of "<timestamp>.<body>"', () => {
    // Computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
    expect(signatureOf('whsec_test', '1700000000', '{"a":1}')).toBe('sha256=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789');
  });
});
