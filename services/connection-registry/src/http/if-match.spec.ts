import { expectedVersion } from './if-match';

describe('expectedVersion', () => {
  it('reads a strong or weak ETag, and no expectation from none or *', () => {
    expect(expectedVersion('"3"')).toBe(3);
    expect(expectedVersion(' W/"12" ')).toBe(12);
    expect(expectedVersion(undefined)).toBeUndefined();
    expect(expectedVersion('*')).toBeUndefined();
  });

  it('refuses what is no version, naming the header', () => {
    for (const header of ['3', '"x"', '"1", "2"', ['"1"', '"2"']]) {
      expect(() => expectedVersion(header)).toThrow(expect.objectContaining({ details: [expect.objectContaining({ path: 'If-Match' })] }));
    }
  });
});
