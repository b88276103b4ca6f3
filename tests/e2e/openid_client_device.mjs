// Drives openid-client, unchanged, through the device authorization grant (RFC 8628) at the
// realm at ISSUER: prints the codes it got as one JSON line, polls until the user decides, then
// prints the tokens it got as a second line.
import * as client from "openid-client";

const config = await client.discovery(
  new URL(process.env.ISSUER),
  process.env.CLIENT_ID,
  process.env.CLIENT_SECRET,
  undefined,
  { execute: [client.allowInsecureRequests] },
);
const started = await client.initiateDeviceAuthorization(config, { scope: "openid" });
console.log(JSON.stringify({ userCode: started.user_code, uri: started.verification_uri }));
const tokens = await client.pollDeviceAuthorizationGrant(config, started);
console.log(
  JSON.stringify({
    accessToken: tokens.access_token,
    idToken: tokens.id_token,
    refreshToken: tokens.refresh_token,
    claims: tokens.claims(),
  }),
);
