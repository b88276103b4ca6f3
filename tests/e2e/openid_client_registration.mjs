// Drives openid-client, unchanged, against the realm at ISSUER: discovers it, registers a client
// with the initial access token (RFC 7591) and uses the credentials it got. Prints what it saw.
import * as client from "openid-client";

const config = await client.dynamicClientRegistration(
  new URL(process.env.ISSUER),
  {
    client_name: "openid-client",
    grant_types: ["client_credentials"],
    token_endpoint_auth_method: "client_secret_post",
  },
  undefined,
  {
    initialAccessToken: process.env.INITIAL_ACCESS_TOKEN,
    execute: [client.allowInsecureRequests],
  },
);
const metadata = config.clientMetadata();
const tokens = await client.clientCredentialsGrant(config);
console.log(
  JSON.stringify({
    clientId: metadata.client_id,
    method: metadata.token_endpoint_auth_method,
    registrationUri: metadata.registration_client_uri,
    accessToken: tokens.access_token,
    tokenType: tokens.token_type,
  }),
);
