'use strict';
// The installer's side, from Node.js with nothing but protos/: activate a
// serial, check the signed licence offline with Node's own Ed25519, validate
// it, read a refusal's ErrorInfo, and free the seat.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { randomUUID } = require('node:crypto');
const { after, before, describe, it } = require('node:test');
const protobuf = require('protobufjs');
const { REPO_ROOT, call, errorInfo, grpc, newClient } = require('../lib/contract');
const { startDemoServer } = require('../lib/server');

const FINGERPRINT = 'node-interop-machine-0001';

// LicenseCertificate, decoded from the signed bytes with protobufjs.
function certificateType() {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    for (const dir of ['protos', path.join('third_party', 'googleapis')]) {
      const candidate = path.join(REPO_ROOT, dir, target);
      if (fs.existsSync(candidate)) {
        return candidate;
      }
    }
    return target; // google/protobuf/*.proto: bundled with protobufjs.
  };
  root.loadSync('aspel/licensing/v1/activation.proto', { keepCase: true });
  return root.resolveAll().lookupType('aspel.licensing.v1.LicenseCertificate');
}

// An Ed25519 public key object from the raw 32 bytes the server lists.
function publicKey(raw) {
  return crypto.createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') },
    format: 'jwk',
  });
}

describe('ActivationService: the installer flow', () => {
  let server;
  let portal;
  let installer;
  let sae;
  let pinnedKeys;
  let activation;

  before(async () => {
    server = await startDemoServer();
    portal = newClient('LicensingService', server.address);
    installer = newClient('ActivationService', server.address);
    const login = await call(portal, 'Authenticate', {
      username: 'demo',
      password: 'demo-aspel-2026',
    });
    const list = await call(portal, 'ListSubscriptions', {}, { token: login.session_token });
    sae = list.subscriptions.find((s) => s.product_code === 'SAE');
    // Pinned once, as an installer ships them; never taken from a licence.
    const keys = await call(installer, 'ListSigningKeys', {});
    pinnedKeys = new Map(keys.signing_keys.map((k) => [k.key_id, publicKey(k.public_key)]));
  });

  after(async () => {
    portal?.close();
    installer?.close();
    await server?.stop();
  });

  it('ActivateInstallation returns an activation and a licence signed by a listed key', async () => {
    const response = await call(installer, 'ActivateInstallation', {
      serial_number: sae.serial_number.toLowerCase(),
      razon_social: 'comercializadora demo sa de cv',
      product_code: 'SAE',
      version: '7.0',
      machine_fingerprint: FINGERPRINT,
      hostname: 'caja-1',
      request_id: randomUUID(),
    });
    activation = response.activation;
    assert.equal(activation.serial_number, sae.serial_number);
    assert.equal(activation.machine_fingerprint, FINGERPRINT);
    const signed = response.signed_license;
    const key = pinnedKeys.get(signed.key_id);
    assert.ok(key, 'the licence names a key the server lists');
    assert.equal(crypto.verify(null, signed.certificate, key, signed.signature), true);
    const certificate = certificateType().decode(signed.certificate);
    assert.equal(certificate.serial_number, sae.serial_number);
    assert.equal(certificate.product_code, 'SAE');
    assert.equal(certificate.version, '7.0');
    assert.equal(certificate.machine_fingerprint, FINGERPRINT);
    assert.equal(certificate.activation_id, activation.activation_id);
    assert.equal(certificate.razon_social, 'Comercializadora Demo, S.A. de C.V.');
  });

  it('a licence with one byte changed does not verify', async () => {
    const response = await call(installer, 'ValidateLicense', {
      serial_number: sae.serial_number,
      activation_id: activation.activation_id,
      machine_fingerprint: FINGERPRINT,
    });
    const signed = response.signed_license;
    const tampered = Buffer.from(signed.certificate);
    tampered[tampered.length - 1] ^= 0x01;
    const key = pinnedKeys.get(signed.key_id);
    assert.equal(crypto.verify(null, signed.certificate, key, signed.signature), true);
    assert.equal(crypto.verify(null, tampered, key, signed.signature), false);
    assert.equal(response.state, 'SUBSCRIPTION_STATE_ACTIVE');
  });

  it('a wrong razón social is refused with a reason a program can act on', async () => {
    await assert.rejects(
      call(installer, 'ActivateInstallation', {
        serial_number: sae.serial_number,
        razon_social: 'Otra Empresa, S.A. de C.V.',
        product_code: 'SAE',
        version: '7.0',
        machine_fingerprint: 'another-machine',
        hostname: 'caja-2',
      }),
      (error) => {
        assert.equal(error.code, grpc.status.PERMISSION_DENIED);
        assert.equal(errorInfo(error).reason, 'RAZON_SOCIAL_MISMATCH');
        return true;
      },
    );
  });

  it('DeactivateInstallation frees the seat', async () => {
    const response = await call(installer, 'DeactivateInstallation', {
      serial_number: sae.serial_number,
      activation_id: activation.activation_id,
      machine_fingerprint: FINGERPRINT,
      request_id: randomUUID(),
    });
    assert.ok(response.activation.deactivate_time);
    await assert.rejects(
      call(installer, 'ValidateLicense', {
        serial_number: sae.serial_number,
        activation_id: activation.activation_id,
        machine_fingerprint: FINGERPRINT,
      }),
      (error) => {
        assert.equal(error.code, grpc.status.NOT_FOUND);
        assert.equal(errorInfo(error).reason, 'ACTIVATION_NOT_FOUND');
        return true;
      },
    );
  });
});
