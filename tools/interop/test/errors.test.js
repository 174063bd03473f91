'use strict';
// Rich errors from Node.js: the status code, and the google.rpc.Status of the
// `grpc-status-details-bin` trailer decoded with the vendored googleapis protos
// (ErrorInfo, LocalizedMessage, BadRequest).

const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');
const { ERROR_DOMAIN, call, errorInfo, grpc, newClient, richStatus } = require('../lib/contract');
const { startDemoServer } = require('../lib/server');

// Runs a call that must fail and returns its error.
async function failure(promise) {
  return promise.then(
    (response) => assert.fail(`expected an error, got ${JSON.stringify(response)}`),
    (error) => error,
  );
}

describe('LicensingService: errors an installer can act on', () => {
  let server;
  let portal;
  let token;
  let rows;

  before(async () => {
    server = await startDemoServer();
    portal = newClient('LicensingService', server.address);
    const login = await call(portal, 'Authenticate', {
      username: 'demo',
      password: 'demo-aspel-2026',
    });
    token = login.session_token;
    rows = (await call(portal, 'ListSubscriptions', {}, { token })).subscriptions;
  });

  after(async () => {
    portal?.close();
    await server?.stop();
  });

  it('a wrong password is UNAUTHENTICATED INVALID_CREDENTIALS with an es-MX message', async () => {
    const error = await failure(
      call(portal, 'Authenticate', { username: 'demo2', password: 'not-the-password' }),
    );
    assert.equal(error.code, grpc.status.UNAUTHENTICATED);
    const status = richStatus(error);
    assert.equal(status.code, grpc.status.UNAUTHENTICATED);
    assert.deepEqual(
      status.details.map((d) => d.type),
      ['google.rpc.ErrorInfo', 'google.rpc.LocalizedMessage', 'google.rpc.RequestInfo'],
    );
    const [info, localized] = status.details;
    // The third detail is the request id support matches to the server's log
    // line; its type is enough here (the Python suites read its value).
    assert.equal(info.reason, 'INVALID_CREDENTIALS');
    assert.equal(info.domain, ERROR_DOMAIN);
    assert.equal(localized.locale, 'es-MX');
    assert.ok(localized.message.length > 0);
  });

  it('a call without a token is UNAUTHENTICATED SESSION_INVALID', async () => {
    const error = await failure(call(portal, 'ListSubscriptions', {}));
    assert.equal(error.code, grpc.status.UNAUTHENTICATED);
    assert.equal(errorInfo(error).reason, 'SESSION_INVALID');
  });

  it('a negative page size is INVALID_ARGUMENT with a BadRequest naming the field', async () => {
    const error = await failure(call(portal, 'ListSubscriptions', { page_size: -1 }, { token }));
    assert.equal(error.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(errorInfo(error).reason, 'INVALID_ARGUMENT');
    const badRequest = richStatus(error).details.find((d) => d.type === 'google.rpc.BadRequest');
    assert.deepEqual(
      badRequest.field_violations.map((v) => v.field),
      ['page_size'],
    );
  });

  it('the latest version has no upgrade: FAILED_PRECONDITION NO_UPGRADE_AVAILABLE', async () => {
    const noi = rows.find((s) => s.product_code === 'NOI');
    const error = await failure(
      call(portal, 'GetUpgradeTerms', { serial_number: noi.serial_number }, { token }),
    );
    assert.equal(error.code, grpc.status.FAILED_PRECONDITION);
    assert.equal(errorInfo(error).reason, 'NO_UPGRADE_AVAILABLE');
  });

  it('a perpetual licence must buy the new version: UPGRADE_REQUIRES_PURCHASE', async () => {
    const coi = rows.find((s) => s.product_code === 'COI');
    const error = await failure(
      call(portal, 'GetUpgradeTerms', { serial_number: coi.serial_number }, { token }),
    );
    assert.equal(error.code, grpc.status.FAILED_PRECONDITION);
    assert.equal(errorInfo(error).reason, 'UPGRADE_REQUIRES_PURCHASE');
  });

  it("another account's serial is NOT_FOUND SERIAL_NOT_FOUND", async () => {
    const other = await call(portal, 'Authenticate', {
      username: 'demo2',
      password: 'demo2-aspel-2026',
    });
    const [theirs] = (await call(portal, 'ListSubscriptions', {}, { token: other.session_token }))
      .subscriptions;
    const error = await failure(
      call(portal, 'GetSubscription', { serial_number: theirs.serial_number }, { token }),
    );
    assert.equal(error.code, grpc.status.NOT_FOUND);
    assert.equal(errorInfo(error).reason, 'SERIAL_NOT_FOUND');
  });

  it('a malformed serial is INVALID_ARGUMENT', async () => {
    const error = await failure(
      call(portal, 'GetSubscription', { serial_number: 'not-a-serial' }, { token }),
    );
    assert.equal(error.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(errorInfo(error).reason, 'INVALID_ARGUMENT');
  });
});
