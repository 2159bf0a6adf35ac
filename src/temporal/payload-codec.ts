import { type DataConverter, METADATA_ENCODING_KEY, type Payload, type PayloadCodec, ValueError } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** One AES-256 key and the id written next to every payload it encrypts. */
export interface CodecKey {
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** The module exporting the service's failure converter (failure-converter.ts). */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');
export const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encrypts every payload the service hands to Temporal (signal and activity arguments, results,
 * queries, the state carried across continue-as-new, summaries and details) with AES-256-GCM, and
 * decrypts them on the way back, so Temporal's database, its Web UI and `temporal workflow show`
 * hold ciphertext only. The first key encrypts; every key decrypts, found by the id each payload
 * carries, so keys rotate by putting a new one first and dropping the old one once no history
 * needs it. Written with Node's crypto (the encryption sample's design, not its code): the AEAD
 * tag authenticates each payload, so a tampered one fails instead of decoding to something else.
 */
export class EncryptionCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;

  constructor(private readonly keys: readonly CodecKey[]) {
    if (keys.length === 0) throw new Error('the payload codec needs at least one key');
    this.byId = new Map(keys.map(({ id, key }) => [id, key]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const { id, key } = this.keys[0]!;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: Buffer.from(id) }, data: sealed };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      // Payloads written before encryption was turned on (or by a client without it) pass through.
      if (!encoding || Buffer.from(encoding).toString() !== ENCRYPTED_ENCODING) return payload;
      const id = Buffer.from(payload.metadata?.[KEY_ID_METADATA] ?? []).toString();
      const key = this.byId.get(id);
      if (!key) throw new ValueError(`payload encrypted with key "${id}", which PAYLOAD_CODEC_KEYS does not hold`);
      const data = Buffer.from(payload.data ?? []);
      if (data.length < IV_BYTES + TAG_BYTES) throw new ValueError('encrypted payload too short');
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}

/**
 * The data converter of every client and worker: the default payload converter behind the codec,
 * or nothing extra without keys. Failure messages and stack traces go through the codec too: an
 * SMTP refusal quotes the recipient's address, and a failure is stored in the history like a payload.
 */
export function dataConverterFor(keys: readonly CodecKey[] | undefined): DataConverter | undefined {
  if (!keys || keys.length === 0) return undefined;
  return { payloadCodecs: [new EncryptionCodec(keys)], failureConverterPath: FAILURE_CONVERTER_PATH };
}

/** Parses `id:base64key,id:base64key` (the first encrypts); throws naming what is wrong, never a key. */
export function parseCodecKeys(text: string): CodecKey[] {
  const keys = text
    .split(/[,\n]/)
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part, i) => {
      const colon = part.indexOf(':');
      const id = colon > 0 ? part.slice(0, colon) : '';
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) throw new Error(`key ${i + 1}: expected id:base64key with an id of letters, digits, . _ -`);
      const key = Buffer.from(part.slice(colon + 1), 'base64');
      if (key.length !== 32) throw new Error(`key "${id}": ${key.length} bytes after base64 decoding, AES-256 needs 32 (openssl rand -base64 32)`);
      return { id, key };
    });
  if (keys.length === 0) throw new Error('no key given');
  const ids = keys.map((k) => k.id);
  const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
  if (repeated) throw new Error(`key id "${repeated}" appears twice`);
  return keys;
}

/** The keys in PAYLOAD_CODEC_KEYS' format, to hand to a child process. */
export const formatCodecKeys = (keys: readonly CodecKey[]): string => keys.map(({ id, key }) => `${id}:${key.toString('base64')}`).join(',');

/** A new key line for a development data folder: `dev-<time>:<base64 of 32 random bytes>`. */
export function newCodecKeyLine(): string {
  return `dev-${Date.now().toString(36)}:${randomBytes(32).toString('base64')}`;
}
