import { authorizeBody, returnToPath } from './return-to';

describe('returnTo, where a sign-in returns to', () => {
  it.each(['/', '/#/connections/c-1', '/console?tab=exports&x=%2F%2F', `/${'a'.repeat(499)}`])('accepts the path %j', (path) => {
    expect(returnToPath.safeParse(path).success).toBe(true);
  });

  it.each(['', 'console', '//evil.example', '/\\evil.example', 'https://evil.example/', 'javascript:alert(1)', '/a\nb', '/a\u0000', '/a\u0085', `/${'a'.repeat(500)}`])(
    'refuses %j, saying what a returnTo must be',
    (path) => {
      const result = returnToPath.safeParse(path);
      expect(result.success).toBe(false);
      expect(result.error?.issues[0].message).toMatch(/^returnTo must be a path on this registry/);
    },
  );

  it('is optional in the body', () => {
    expect(authorizeBody.parse({})).toEqual({});
    expect(authorizeBody.safeParse({ returnTo: 5 }).success).toBe(false);
  });
});
