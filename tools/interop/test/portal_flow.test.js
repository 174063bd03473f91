'use strict';
// The customer's whole portal flow, from Node.js with nothing but protos/:
// log in, list the serials, read the upgrade terms, accept, sign out.

const assert = require('node:assert/strict');
const { randomUUID } = require('node:crypto');
const { after, before, describe, it } = require('node:test');
const { ERROR_DOMAIN, call, errorInfo, grpc, newClient } = require('../lib/contract');
const { startDemoServer } = require('../lib/server');

describe('LicensingService: the customer portal flow', () => {
  let server;
  let portal;
  let token;
  let sae;
  let terms;
  let upgraded;

  before(async () => {
    server = await startDemoServer();
    portal = newClient('LicensingService', server.address);
  });

  after(async () => {
    portal?.close();
    await server?.stop();
  });

  it('Authenticate returns a session token, its expiry and the account', async () => {
    const response = await call(portal, 'Authenticate', {
      username: 'demo',
      password: 'demo-aspel-2026',
    });
    assert.match(response.session_token, /^als_/);
    // google.protobuf.Timestamp: seconds arrive as a string (longs: String).
    assert.ok(Number(response.expire_time.seconds) * 1000 > Date.now());
    assert.equal(response.account.username, 'demo');
    assert.equal(response.account.razon_social, 'Comercializadora Demo, S.A. de C.V.');
    token = response.session_token;
  });

  it('ListSubscriptions with the bearer token shows the portal table', async () => {
    const response = await call(portal, 'ListSubscriptions', { page_size: 0 }, { token });
    const rows = response.subscriptions;
    assert.deepEqual(
      rows.map((s) => s.product_code),
      ['SAE', 'CAJA', 'COI', 'NOI'],
    );
    sae = rows[0];
    assert.match(sae.serial_number, /^[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}$/);
    assert.equal(sae.version, '7.0');
    assert.equal(sae.modality, 'MODALITY_SUBSCRIPTION');
    assert.equal(sae.billing_period, 'BILLING_PERIOD_MONTHLY');
    assert.equal(sae.state, 'SUBSCRIPTION_STATE_ACTIVE');
    assert.equal(sae.upgrade_available, true);
    assert.equal(sae.available_version, '8.0');
    // google.type.Date: a calendar day, no time zone games.
    assert.ok(sae.activation_date.year >= 2000);
    assert.ok(sae.next_payment_date.month >= 1 && sae.next_payment_date.month <= 12);
    const coi = rows[2];
    assert.equal(coi.modality, 'MODALITY_PERPETUAL_LICENSE');
    assert.equal(coi.next_payment_date, null);
    assert.equal(response.next_page_token, '');
  });

  it('GetUpgradeTerms shows the terms written for that serial', async () => {
    const response = await call(
      portal,
      'GetUpgradeTerms',
      { serial_number: sae.serial_number },
      { token },
    );
    terms = response.upgrade_terms;
    assert.equal(terms.serial_number, sae.serial_number);
    assert.equal(terms.from_version, '7.0');
    assert.equal(terms.to_version, '8.0');
    assert.equal(terms.locale, 'es-MX');
    assert.ok(terms.terms_id);
    assert.ok(terms.clauses.some((clause) => clause.includes('Aspel SAE 8.0')));
  });

  it('AcceptUpgrade issues a new serial and supersedes the old one', async () => {
    const request = {
      serial_number: sae.serial_number,
      terms_id: terms.terms_id,
      request_id: randomUUID(),
    };
    upgraded = await call(portal, 'AcceptUpgrade', request, { token });
    const { subscription, previous_subscription: previous } = upgraded;
    assert.notEqual(subscription.serial_number, sae.serial_number);
    assert.equal(subscription.version, '8.0');
    assert.equal(subscription.predecessor_serial_number, sae.serial_number);
    assert.deepEqual(subscription.next_payment_date, sae.next_payment_date);
    assert.equal(previous.state, 'SUBSCRIPTION_STATE_SUPERSEDED');
    assert.equal(previous.successor_serial_number, subscription.serial_number);
    assert.deepEqual(previous.retire_date, sae.next_payment_date);

    // A retry with the same request_id gets the first answer back.
    const retry = await call(portal, 'AcceptUpgrade', request, { token });
    assert.deepEqual(retry, upgraded);
  });

  it('ListSubscriptions now shows the new serial last', async () => {
    const response = await call(portal, 'ListSubscriptions', {}, { token });
    const serials = response.subscriptions.map((s) => s.serial_number);
    assert.equal(serials.length, 5);
    assert.equal(serials.at(-1), upgraded.subscription.serial_number);
  });

  it('SignOut ends the session: the token stops working', async () => {
    await call(portal, 'SignOut', {}, { token });
    const error = await call(portal, 'ListSubscriptions', {}, { token }).then(
      () => assert.fail('the ended session still worked'),
      (failure) => failure,
    );
    assert.equal(error.code, grpc.status.UNAUTHENTICATED);
    const info = errorInfo(error);
    assert.equal(info.reason, 'SESSION_INVALID');
    assert.equal(info.domain, ERROR_DOMAIN);
  });
});
