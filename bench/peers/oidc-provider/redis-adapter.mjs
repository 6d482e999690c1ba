// A storage adapter for oidc-provider on Redis, for bench/scale_workers.py: with several worker
// processes the refresh tokens and grants must be visible to every worker (as Identra keeps them
// in PostgreSQL), so the provider's in-memory adapter will not do.
//
// It talks RESP over one TCP connection per process (commands are pipelined in order), so the
// peer needs no npm package beyond oidc-provider itself. Written for the bench, not for
// production: no reconnects, no auth, no TLS.

import { createConnection } from 'node:net';

function encode(args) {
  let out = `*${args.length}\r\n`;
  for (const arg of args) {
    const text = String(arg);
    out += `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
  }
  return out;
}

// Parses one reply at `offset`; returns [value, nextOffset] or null when more bytes are needed.
function parse(buf, offset) {
  const end = buf.indexOf('\r\n', offset);
  if (end === -1) return null;
  const type = String.fromCharCode(buf[offset]);
  const line = buf.toString('utf8', offset + 1, end);
  const next = end + 2;
  switch (type) {
    case '+':
      return [line, next];
    case '-':
      return [new Error(`redis: ${line}`), next];
    case ':':
      return [Number(line), next];
    case '$': {
      const length = Number(line);
      if (length < 0) return [null, next];
      if (buf.length < next + length + 2) return null;
      return [buf.toString('utf8', next, next + length), next + length + 2];
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return [null, next];
      const items = [];
      let at = next;
      for (let i = 0; i < count; i += 1) {
        const item = parse(buf, at);
        if (item === null) return null;
        items.push(item[0]);
        [, at] = item;
      }
      return [items, at];
    }
    default:
      throw new Error(`redis: unexpected reply type ${type}`);
  }
}

export class Redis {
  constructor(url) {
    const { hostname, port, pathname } = new URL(url);
    this.pending = [];
    this.buffer = Buffer.alloc(0);
    this.socket = createConnection({ host: hostname, port: Number(port || 6379) });
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk) => this.receive(chunk));
    this.socket.on('error', (err) => {
      for (const { reject } of this.pending.splice(0)) reject(err);
    });
    const db = pathname.replace('/', '');
    if (db && db !== '0') this.command('SELECT', db);
  }

  receive(chunk) {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    let offset = 0;
    for (;;) {
      const reply = parse(this.buffer, offset);
      if (reply === null) break;
      [, offset] = reply;
      const { resolve, reject } = this.pending.shift();
      if (reply[0] instanceof Error) reject(reply[0]);
      else resolve(reply[0]);
    }
    this.buffer = this.buffer.subarray(offset);
  }

  command(...args) {
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.socket.write(encode(args));
    });
  }
}

// Models whose records belong to a grant and go when the grant is revoked.
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);

export function redisAdapter(redis, prefix) {
  return class RedisAdapter {
    constructor(name) {
      this.name = name;
    }

    key(id) {
      return `${prefix}${this.name}:${id}`;
    }

    async upsert(id, payload, expiresIn) {
      const key = this.key(id);
      const writes = [redis.command('HSET', key, 'payload', JSON.stringify(payload))];
      if (expiresIn) writes.push(redis.command('EXPIRE', key, expiresIn));
      if (GRANTABLE.has(this.name) && payload.grantId) {
        const grantKey = `${prefix}grant:${payload.grantId}`;
        writes.push(redis.command('RPUSH', grantKey, key));
        if (expiresIn) writes.push(redis.command('EXPIRE', grantKey, expiresIn));
      }
      if (payload.uid) writes.push(redis.command('SET', `${prefix}uid:${payload.uid}`, id, 'EX', expiresIn || 3600));
      await Promise.all(writes);
    }

    async find(id) {
      const fields = await redis.command('HGETALL', this.key(id));
      if (!fields || fields.length === 0) return undefined;
      const record = {};
      for (let i = 0; i < fields.length; i += 2) record[fields[i]] = fields[i + 1];
      if (!record.payload) return undefined;
      const payload = JSON.parse(record.payload);
      if (record.consumed) payload.consumed = Number(record.consumed);
      return payload;
    }

    async findByUid(uid) {
      const id = await redis.command('GET', `${prefix}uid:${uid}`);
      return id ? this.find(id) : undefined;
    }

    async findByUserCode() {
      return undefined; // no device flow in the bench
    }

    async consume(id) {
      await redis.command('HSET', this.key(id), 'consumed', Math.floor(Date.now() / 1000));
    }

    async destroy(id) {
      await redis.command('DEL', this.key(id));
    }

    async revokeByGrantId(grantId) {
      const grantKey = `${prefix}grant:${grantId}`;
      const keys = (await redis.command('LRANGE', grantKey, 0, -1)) || [];
      await Promise.all([...keys.map((k) => redis.command('DEL', k)), redis.command('DEL', grantKey)]);
    }
  };
}
