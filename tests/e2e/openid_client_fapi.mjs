// Drives openid-client, unchanged, as a FAPI 2.0 client of the realm at ISSUER: private_key_jwt
// (CLIENT_KEY, a private JWK), a pushed authorization request with PKCE S256, DPoP-bound tokens.
// Prints the authorization URL, reads back the URL the browser was sent to, exchanges the code,
// calls UserInfo with the DPoP-bound token, refreshes, and prints what it got.
import * as client from "openid-client";
import * as readline from "node:readline/promises";

const privateJwk = JSON.parse(process.env.CLIENT_KEY);
const key = await crypto.subtle.importKey(
  "jwk",
  privateJwk,
  { name: "ECDSA", namedCurve: "P-256" },
  false,
  ["sign"],
);
const config = await client.discovery(
  new URL(process.env.ISSUER),
  process.env.CLIENT_ID,
  { id_token_signed_response_alg: process.env.SIGNING_ALG },
  client.PrivateKeyJwt({ key, kid: privateJwk.kid }),
  { execute: [client.allowInsecureRequests] },
);
const DPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair("ES256"));
const verifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const url = await client.buildAuthorizationUrlWithPAR(
  config,
  {
    redirect_uri: process.env.REDIRECT_URI,
    scope: "openid",
    state,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
  },
  { DPoP },
);
console.log(JSON.stringify({ url: url.href }));
const input = readline.createInterface({ input: process.stdin });
const callback = await input.question("");
input.close();
const tokens = await client.authorizationCodeGrant(
  config,
  new URL(callback),
  { pkceCodeVerifier: verifier, expectedState: state },
  undefined,
  { DPoP },
);
const claims = tokens.claims();
const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub, { DPoP });
const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token, undefined, {
  DPoP,
});
console.log(
  JSON.stringify({
    tokenType: tokens.token_type,
    claims,
    userinfo,
    accessToken: tokens.access_token,
    refreshedType: refreshed.token_type,
    refreshedAccessToken: refreshed.access_token,
  }),
);
