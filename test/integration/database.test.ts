import mongoose, { Schema } from 'mongoose';
import { testMongoUri } from '../support/env';

describe('MongoDB-wire database through mongoose', () => {
  const connection = mongoose.createConnection(testMongoUri('roundtrip'));

  afterAll(async () => {
    await connection.dropDatabase().catch(() => undefined);
    await connection.close();
  });

  it('writes a document and reads it back, with a unique index enforced', async () => {
    const Thing = connection.model('Thing', new Schema({ name: { type: String, required: true, unique: true }, count: Number }));
    await Thing.init();
    const created = await Thing.create({ name: 'first', count: 3 });
    const found = await Thing.findById(created._id).lean();
    expect(found).toMatchObject({ name: 'first', count: 3 });
    await expect(Thing.create({ name: 'first', count: 4 })).rejects.toMatchObject({ code: 11000 });
    await Thing.bulkWrite([{ updateOne: { filter: { name: 'second' }, update: { $inc: { count: 2 } }, upsert: true } }]);
    expect(await Thing.countDocuments()).toBe(2);
  });
});
