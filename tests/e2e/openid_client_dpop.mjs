// Drives openid-client, unchanged, through the code flow with DPoP (RFC 9449) at the realm at
// ISSUER: a key pair of its own, its DPoP handle on every call (it retries once by itself when
// the server answers use_dpop_nonce), and dpop_jkt in the authorization request, or a pushed
// request carrying a proof when CLIENT_SECRET is set. Prints the authorization URL it built,
// reads back the URL the browser was redirected to, then prints what it got.
import * as client from "openid-client";
import * as readline from "node:readline/promises";

const secret = process.env.CLIENT_SECRET;
const config = await client.discovery(
  new URL(process.env.ISSUER),
  process.env.CLIENT_ID,
  secret || undefined,
  secret ? undefined : client.None(),
  { execute: [client.allowInsecureRequests] },
);
const keyPair = await client.randomDPoPKeyPair("ES256");
const DPoP = client.getDPoPHandle(config, keyPair);
const jkt = await DPoP.calculateThumbprint();
const verifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const parameters = {
  redirect_uri: process.env.REDIRECT_URI,
  scope: "openid email",
  state,
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: "S256",
};
const url = secret
  ? await client.buildAuthorizationUrlWithPAR(config, parameters, { DPoP })
  : client.buildAuthorizationUrl(config, { ...parameters, dpop_jkt: jkt });
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
const sub = tokens.claims().sub;
const userinfo = await client.fetchUserInfo(config, tokens.access_token, sub, { DPoP });
const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token, undefined, {
  DPoP,
});
// The same token without the handle: sent as a bearer token, which must be refused.
let asBearer = null;
try {
  await client.fetchUserInfo(config, refreshed.access_token, sub);
} catch (error) {
  asBearer = { status: error.status, challenge: error.response?.headers.get("www-authenticate") };
}
console.log(
  JSON.stringify({
    jkt,
    tokenType: tokens.token_type,
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    userinfo,
    refreshedTokenType: refreshed.token_type,
    refreshedAccessToken: refreshed.access_token,
    asBearer,
  }),
);
