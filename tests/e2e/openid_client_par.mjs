// Drives openid-client, unchanged, through a pushed authorization request (RFC 9126) at the
// realm at ISSUER: prints the authorization URL it built, reads back the URL the browser was
// redirected to, exchanges the code, and prints what it got.
import * as client from "openid-client";
import * as readline from "node:readline/promises";

const config = await client.discovery(
  new URL(process.env.ISSUER),
  process.env.CLIENT_ID,
  process.env.CLIENT_SECRET,
  undefined,
  { execute: [client.allowInsecureRequests] },
);
const verifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const url = await client.buildAuthorizationUrlWithPAR(config, {
  redirect_uri: process.env.REDIRECT_URI,
  scope: "openid",
  state,
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: "S256",
});
console.log(JSON.stringify({ url: url.href }));
const input = readline.createInterface({ input: process.stdin });
const callback = await input.question("");
input.close();
const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
  pkceCodeVerifier: verifier,
  expectedState: state,
});
console.log(JSON.stringify({ claims: tokens.claims(), accessToken: tokens.access_token }));
