import { disguisedNames } from './names';

describe('disguisedNames', () => {
  it('finds control and bidi override/isolate characters in name fields at any depth, with the path', () => {
    const body = { displayName: 'ok', segments: [{ id: 'a\u202Eb', name: 'fine' }, { id: 's', name: 'x\u2066y' }], facebook: { audience: { create: { name: 'a\tb' } } } };
    expect(disguisedNames(body)).toEqual([
      { path: 'segments.1.name', message: expect.stringContaining('U+2066 (LEFT-TO-RIGHT ISOLATE)') },
      { path: 'facebook.audience.create.name', message: expect.stringContaining('U+0009, a control character') },
    ]);
  });

  it('leaves names in any script, and the direction marks, alone', () => {
    expect(disguisedNames({ displayName: 'عملاء\u200F 2024', name: 'Tromsø 忠実' })).toEqual([]);
  });
});
