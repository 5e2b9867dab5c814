// An independent OpenID Provider for the test suite: the OpenID Certified
// `oidc-provider` package, one agency per process, on loopback.
//
//   node tests/oidc/provider.mjs CONFIG.json
//
// CONFIG: {port, issuer, cookiePrefix, clients: [oidc-provider client metadata],
//          accounts: [{sub, email, email_verified, name, groups, department, otp}],
//          acr: {base, mfa}}
// Prints "READY <issuer>" once listening. A supplied login form asks for the e-mail
// and an optional one-time code; the right code yields acr = acr.mfa and
// amr = ["mfa", "otp"], no code acr.base and amr ["pwd"]. The provider may be asked
// for the MFA acr and still sign in without it: the relying party must check.
//
// Test-only controls (loopback, this process only): POST /__control/publish-wrong-keys
// makes the JWKS endpoint publish a different key under the same key id (so ID tokens
// no longer verify); /__control/publish-decoy-key publishes only a key with another id
// (as if the provider had rotated); POST /__control/reset undoes either.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = new Map(config.accounts.map((a) => [a.sub, a]));
const byEmail = new Map(config.accounts.map((a) => [a.email.toLowerCase(), a]));

function rsaJwk(kid) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
}
const signingKey = rsaJwk(`${config.cookiePrefix}-1`);
const publicJwk = ({ kty, n, e, kid, use, alg }) => ({ kty, n, e, kid, use, alg });
const wrong = publicJwk(rsaJwk(signingKey.kid)); // another key under the same id
const decoy = publicJwk(rsaJwk(`${config.cookiePrefix}-decoy`)); // another id
const controls = { jwks: null };

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const provider = new Provider(config.issuer, {
  clients: config.clients,
  jwks: { keys: [signingKey] },
  cookies: {
    names: {
      session: `${config.cookiePrefix}_session`,
      interaction: `${config.cookiePrefix}_interaction`,
      resume: `${config.cookiePrefix}_resume`,
    },
    keys: [`${config.cookiePrefix}-cookie-key-for-tests-only`],
  },
  pkce: { required: () => true },
  acrValues: [config.acr.base, config.acr.mfa],
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: {
    sid: null,
    openid: ['sub', 'acr', 'amr', 'auth_time'], // always in the ID token
    email: ['email', 'email_verified'],
    profile: ['name'],
    groups: ['groups', 'department'],
  },
  conformIdTokenClaims: false, // put the scope's claims in the ID token itself
  enabledJWA: { idTokenSigningAlgValues: ['RS256'] },
  features: {
    devInteractions: { enabled: false },
    backchannelLogout: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  ttl: { Session: 3600, Interaction: 600, Grant: 3600, AccessToken: 600, AuthorizationCode: 60, IdToken: 600 },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    const account = accounts.get(sub);
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          email: account.email,
          email_verified: account.email_verified ?? true,
          name: account.name,
          groups: account.groups ?? [],
          department: account.department,
        };
      },
    };
  },
  // A first-party client: consent is implied (scopes and claims granted as asked).
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    const grant = grantId
      ? await ctx.oidc.provider.Grant.find(grantId)
      : new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
    grant.addOIDCScope('openid email profile groups');
    grant.addOIDCClaims(['email', 'email_verified', 'name', 'groups', 'department']);
    await grant.save();
    return grant;
  },
});
provider.proxy = false;

function loginPage(uid, message = '') {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Sign in to ${escape(config.issuer)}</title></head>
<body><main><h1>Sign in to ${escape(config.issuer)}</h1>${message ? `<p role="alert">${escape(message)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<label for="email">E-mail</label> <input id="email" name="email" type="email" autocomplete="username" required>
<label for="otp">One-time code (optional)</label> <input id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code">
<button type="submit">Sign in</button></form></main></body></html>`;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt } = details;
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(loginPage(uid));
    return;
  }
  if (prompt.name !== 'login' && prompt.name !== 'consent') throw new Error(`unexpected prompt ${prompt.name}`);
  const form = await readForm(req);
  const account = byEmail.get(String(form.get('email') || '').toLowerCase());
  if (!account) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(loginPage(uid, 'Unknown e-mail address.'));
    return;
  }
  const otp = String(form.get('otp') || '');
  if (otp && otp !== account.otp) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(loginPage(uid, 'Wrong one-time code.'));
    return;
  }
  const mfa = otp !== '';
  await provider.interactionFinished(req, res, {
    login: {
      accountId: account.sub,
      acr: mfa ? config.acr.mfa : config.acr.base,
      amr: mfa ? ['mfa', 'otp'] : ['pwd'],
    },
  }, { mergeWithLastSubmission: false });
}

const callback = provider.callback();
const server = createServer(async (req, res) => {
  try {
    const path = new URL(req.url, config.issuer).pathname;
    if (path.startsWith('/interaction/')) {
      await interaction(req, res);
    } else if (path === '/__control/publish-wrong-keys' && req.method === 'POST') {
      controls.jwks = { keys: [wrong] };
      res.writeHead(204).end();
    } else if (path === '/__control/publish-decoy-key' && req.method === 'POST') {
      controls.jwks = { keys: [decoy] };
      res.writeHead(204).end();
    } else if (path === '/__control/reset' && req.method === 'POST') {
      controls.jwks = null;
      res.writeHead(204).end();
    } else if (path === '/jwks' && controls.jwks) {
      res.writeHead(200, { 'content-type': 'application/jwk-set+json' });
      res.end(JSON.stringify(controls.jwks));
    } else {
      callback(req, res);
    }
  } catch (error) {
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(`test provider: ${error.message}`);
  }
});
server.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`READY ${config.issuer}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
