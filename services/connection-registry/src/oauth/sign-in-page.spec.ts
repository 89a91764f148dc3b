import { renderSignInPage } from './sign-in-page';

describe('the sign-in page', () => {
  it('shows a link on, escaped', () => {
    const html = renderSignInPage({ ok: false, title: 'Sign-in failed', lines: ['x'], link: { text: 'Back to the console', href: '/c?a="><script>' } });
    expect(html).toContain('<p><a href="/c?a=&quot;&gt;&lt;script&gt;">Back to the console</a></p>');
  });

  it('has no link unless given one', () => {
    expect(renderSignInPage({ ok: true, title: 'Signed in', lines: ['x'] })).not.toContain('<a ');
  });
});
