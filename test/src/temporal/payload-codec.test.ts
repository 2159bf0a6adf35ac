import { defaultPayloadConverter } from '@temporalio/common';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { EncryptionCodec, ENCRYPTED_ENCODING, formatCodecKeys, parseCodecKeys } from '../../../src/temporal/payload-codec';
import { loadConfig } from '../../../src/config';

const key = (id: string) => ({ id, key: randomBytes(32) });
const person = { tenant: { firstName: 'Tomas', email: 'tomas@example.test', phone: '+1 416 555 0100' } };

describe('the payload codec (AES-256-GCM)', () => {
  it('encrypts every payload so that no personal value is readable, and decrypts it back', async () => {
    const codec = new EncryptionCodec([key('k1')]);
    const payload = defaultPayloadConverter.toPayload(person);
    const [encrypted] = await codec.encode([payload]);
    assert.equal(Buffer.from(encrypted!.metadata!.encoding!).toString(), ENCRYPTED_ENCODING);
    assert.equal(Buffer.from(encrypted!.metadata!['encryption-key-id']!).toString(), 'k1');
    const bytes = Buffer.concat([Buffer.from(encrypted!.data!), ...Object.values(encrypted!.metadata!).map((v) => Buffer.from(v))]).toString('latin1');
    for (const value of ['Tomas', 'tomas@example.test', '555 0100', 'json/plain']) assert.ok(!bytes.includes(value), value);
    const [decoded] = await codec.decode([encrypted!]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(decoded!), person);
  });

  it('rotates: the first key encrypts, every key decrypts, by the id in each payload', async () => {
    const old = key('old');
    const [sealedWithOld] = await new EncryptionCodec([old]).encode([defaultPayloadConverter.toPayload('before')]);
    const rotated = new EncryptionCodec([key('new'), old]);
    const [sealedWithNew] = await rotated.encode([defaultPayloadConverter.toPayload('after')]);
    assert.equal(Buffer.from(sealedWithNew!.metadata!['encryption-key-id']!).toString(), 'new');
    const decoded = await rotated.decode([sealedWithOld!, sealedWithNew!]);
    assert.deepEqual(
      decoded.map((p) => defaultPayloadConverter.fromPayload(p)),
      ['before', 'after'],
    );
    await assert.rejects(new EncryptionCodec([key('new')]).decode([sealedWithOld!]), /encrypted with key "old", which PAYLOAD_CODEC_KEYS does not hold/);
  });

  it('refuses a tampered payload instead of decoding it to something else', async () => {
    const codec = new EncryptionCodec([key('k1')]);
    const [sealed] = await codec.encode([defaultPayloadConverter.toPayload({ score: 712 })]);
    const data = Buffer.from(sealed!.data!);
    data[20] = data[20]! ^ 1;
    await assert.rejects(codec.decode([{ ...sealed!, data }]), /unable to authenticate|auth/i);
  });

  it('passes payloads written without encryption through, so older histories stay readable', async () => {
    const plain = defaultPayloadConverter.toPayload('plain');
    const [decoded] = await new EncryptionCodec([key('k1')]).decode([plain]);
    assert.equal(defaultPayloadConverter.fromPayload(decoded!), 'plain');
  });

  it('reads PAYLOAD_CODEC_KEYS or PAYLOAD_CODEC_KEYS_FILE, naming what is wrong but never a key', () => {
    const keys = [key('a'), key('b')];
    assert.deepEqual(
      loadConfig({ PAYLOAD_CODEC_KEYS: formatCodecKeys(keys) }).temporal.payloadCodecKeys!.map((k) => k.id),
      ['a', 'b'],
    );
    const short = `x:${randomBytes(16).toString('base64')}`;
    assert.throws(
      () => loadConfig({ PAYLOAD_CODEC_KEYS: short }),
      (error: Error) => /PAYLOAD_CODEC_KEYS: key "x": 16 bytes/.test(error.message) && !error.message.includes(short.slice(2)),
    );
    assert.throws(() => parseCodecKeys(`${formatCodecKeys([keys[0]!])},${formatCodecKeys([keys[0]!])}`), /key id "a" appears twice/);
    assert.throws(() => loadConfig({ PAYLOAD_CODEC_KEYS_FILE: '/nonexistent/keys' }), /PAYLOAD_CODEC_KEYS_FILE: ENOENT/);
  });
});
