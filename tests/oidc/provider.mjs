// The OpenID Connect provider of the single sign-on tests: oauth2-mock-server on a free local port.
// Each ID token carries the identity written in the JSON file named by OIDC_IDENTITY_FILE
// ({"email": ..., "email_verified": ...}), read at signing time, so a test picks who signs in.
// Prints {"issuer": ...} once it listens.
import { readFileSync } from 'node:fs';
import { OAuth2Server, Events } from 'oauth2-mock-server';

const identityFile = process.env.OIDC_IDENTITY_FILE;
const server = new OAuth2Server();
await server.issuer.keys.generate('RS256');

server.service.on(Events.BeforeTokenSigning, (token) => {
  const identity = JSON.parse(readFileSync(identityFile, 'utf8'));
  Object.assign(token.payload, identity, { sub: identity.sub ?? identity.email });
});

await server.start(0, '127.0.0.1');
console.log(JSON.stringify({ issuer: server.issuer.url }));

const stop = async () => { await server.stop(); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
