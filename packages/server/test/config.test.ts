import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeConfig, loadConfig } from '../src/index.js';
import { tempDir } from './helpers.js';

describe('loadConfig', () => {
  it('uses defaults, then file, then MONTU_* env, then flags', () => {
    const cwd = tempDir();
    expect(loadConfig({}, {}, cwd)).toMatchObject({
      host: '127.0.0.1',
      port: 8470,
      dataDir: path.join(cwd, 'montu-data'),
      auth: { enabled: true },
      storage: { type: 'local' },
    });
    fs.writeFileSync(
      path.join(cwd, 'montu.config.json'),
      JSON.stringify({ port: 9000, host: '0.0.0.0', logLevel: 'debug', limits: { maxUploadBytes: 10 } }),
    );
    const fromFile = loadConfig({}, {}, cwd);
    expect(fromFile).toMatchObject({
      port: 9000,
      host: '0.0.0.0',
      logLevel: 'debug',
      limits: { maxUploadBytes: 10, maxJsonBodyBytes: 1024 * 1024 },
    });
    expect(fromFile.configFile).toBe(path.join(cwd, 'montu.config.json'));
    const fromEnv = loadConfig(
      {},
      {
        MONTU_PORT: '9100',
        MONTU_AUTH: 'false',
        MONTU_S3_BUCKET: 'renders',
        MONTU_S3_SECRET_ACCESS_KEY: 'shh',
      },
      cwd,
    );
    expect(fromEnv).toMatchObject({
      port: 9100,
      host: '0.0.0.0',
      auth: { enabled: false },
      storage: { type: 's3', bucket: 'renders' },
    });
    const fromFlags = loadConfig(
      { port: '9200', auth: true, dataDir: 'd', databaseUrl: 'postgres://u:pw@db/montu' },
      { MONTU_PORT: '9100' },
      cwd,
    );
    expect(fromFlags).toMatchObject({ port: 9200, auth: { enabled: true }, dataDir: path.join(cwd, 'd') });
    const shown = JSON.stringify(describeConfig({ ...fromEnv, databaseUrl: 'postgres://u:pw@db/montu' }));
    expect(shown).not.toContain('shh');
    expect(shown).not.toContain(':pw@');
  });

  it('rejects bad values with clear messages', () => {
    const cwd = tempDir();
    expect(() => loadConfig({ port: 'eighty' }, {}, cwd)).toThrow(/--port must be a whole number/);
    expect(() => loadConfig({}, { MONTU_AUTH: 'maybe' }, cwd)).toThrow(/MONTU_AUTH must be true or false/);
    expect(() => loadConfig({ config: path.join(cwd, 'missing.json') }, {}, cwd)).toThrow(
      /Cannot read the config file/,
    );
    fs.writeFileSync(path.join(cwd, 'bad.json'), '{ nope');
    expect(() => loadConfig({ config: 'bad.json' }, {}, cwd)).toThrow(/not valid JSON/);
  });

  it('keeps MONTU_S3_* settings when S3 is chosen by flags (bucket, endpoint, path style as flags)', () => {
    const cwd = tempDir();
    const env = {
      MONTU_S3_ACCESS_KEY_ID: 'key',
      MONTU_S3_SECRET_ACCESS_KEY: 'secret',
      MONTU_S3_REGION: 'eu-1',
    };
    const c = loadConfig(
      { s3Bucket: 'b', s3Endpoint: 'http://127.0.0.1:9', s3Region: 'us-1', s3ForcePathStyle: true },
      env,
      cwd,
    );
    expect(c.storage).toEqual({
      type: 's3',
      bucket: 'b',
      endpoint: 'http://127.0.0.1:9',
      region: 'us-1', // the flag beats the environment
      forcePathStyle: true,
      accessKeyId: 'key',
      secretAccessKey: 'secret',
    });
    // The environment still beats a config file's S3 settings.
    fs.writeFileSync(
      path.join(cwd, 'montu.config.json'),
      JSON.stringify({ storage: { type: 's3', bucket: 'f', accessKeyId: 'file-key' } }),
    );
    expect(loadConfig({}, env, cwd).storage).toMatchObject({ bucket: 'f', accessKeyId: 'key' });
  });
});
