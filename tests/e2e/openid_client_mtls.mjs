// Drives openid-client, unchanged, over mutual TLS (RFC 8705) against the realm at ISSUER: its
// TlsClientAuth() method, and a customFetch that sends each request through an undici Agent
// holding the client's certificate. Prints one JSON line per step, errors included.
//
//   node openid_client_mtls.mjs service   CLIENT_ID CERT KEY [OTHER_CERT OTHER_KEY]
//   node openid_client_mtls.mjs refused   CLIENT_ID [CERT KEY]
//   node openid_client_mtls.mjs device    CLIENT_ID CERT KEY OTHER_CERT OTHER_KEY
//
// SERVER_CA is the CA of the server's own certificate.
import { readFileSync } from "node:fs";
import * as client from "openid-client";
import { Agent, fetch } from "undici";

const ca = readFileSync(process.env.SERVER_CA);
const [mode, clientId, ...files] = process.argv.slice(2);
const fetched = [];

// A fetch over connections that present this certificate (none without one).
function fetchWith(certFile, keyFile) {
  const connect = certFile
    ? { ca, cert: readFileSync(certFile), key: readFileSync(keyFile) }
    : { ca };
  const dispatcher = new Agent({ connect });
  return (url, options) => {
    fetched.push(String(url));
    return fetch(url, { ...options, dispatcher });
  };
}

function describe(error) {
  const challenge = error?.cause?.[0]?.parameters?.error;
  if (error?.cause instanceof Response || error?.cause?.status) {
    return { failed: true, status: error.cause.status, message: String(error?.message) };
  }
  return {
    failed: true,
    name: error?.name,
    status: error?.status,
    error: error?.error ?? challenge ?? error?.code,
    message: String(error?.message),
  };
}

async function attempt(step) {
  try {
    return await step();
  } catch (error) {
    return describe(error);
  }
}

function print(step, value) {
  console.log(JSON.stringify({ step, ...value }));
}

async function configure(auth, certFile, keyFile) {
  return client.discovery(
    new URL(process.env.ISSUER),
    clientId,
    // RFC 8705 §5: the token, userinfo and introspection endpoints of the mTLS host.
    { use_mtls_endpoint_aliases: true },
    auth,
    { [client.customFetch]: fetchWith(certFile, keyFile) },
  );
}

if (mode === "service") {
  const [cert, key, otherCert, otherKey] = files;
  const config = await configure(client.TlsClientAuth(), cert, key);
  const tokens = await attempt(() => client.clientCredentialsGrant(config, { scope: "openid" }));
  if (tokens.failed) {
    console.error(JSON.stringify(tokens));
    process.exit(1);
  }
  print("token", { accessToken: tokens.access_token, fetched: fetched.slice() });
  const info = await client.fetchUserInfo(config, tokens.access_token, client.skipSubjectCheck);
  print("userinfo", { sub: info.sub });
  const introspected = await client.tokenIntrospection(config, tokens.access_token);
  print("introspection", { active: introspected.active, cnf: introspected.cnf });
  // The same token, over a connection without the certificate, then with another one.
  config[client.customFetch] = fetchWith();
  print(
    "userinfo without certificate",
    await attempt(() => client.fetchUserInfo(config, tokens.access_token, client.skipSubjectCheck)),
  );
  if (otherCert) {
    config[client.customFetch] = fetchWith(otherCert, otherKey);
    print(
      "userinfo with another certificate",
      await attempt(() =>
        client.fetchUserInfo(config, tokens.access_token, client.skipSubjectCheck),
      ),
    );
  }
  config[client.customFetch] = fetchWith(cert, key);
  await client.tokenRevocation(config, tokens.access_token);
  const revoked = await client.tokenIntrospection(config, tokens.access_token);
  print("revoked", { active: revoked.active });
} else if (mode === "refused") {
  const [cert, key] = files;
  const config = await configure(client.TlsClientAuth(), cert, key);
  print("token", await attempt(() => client.clientCredentialsGrant(config, {})));
} else if (mode === "device") {
  const [cert, key, otherCert, otherKey] = files;
  const config = await configure(client.None(), cert, key);
  const started = await client.initiateDeviceAuthorization(config, { scope: "openid" });
  print("started", { userCode: started.user_code, uri: started.verification_uri });
  const tokens = await client.pollDeviceAuthorizationGrant(config, started);
  print("tokens", { accessToken: tokens.access_token, refreshToken: tokens.refresh_token });
  config[client.customFetch] = fetchWith(otherCert, otherKey);
  print(
    "refresh with another certificate",
    await attempt(() => client.refreshTokenGrant(config, tokens.refresh_token)),
  );
  config[client.customFetch] = fetchWith(cert, key);
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  print("refreshed", { accessToken: refreshed.access_token });
} else {
  throw new Error(`unknown mode ${mode}`);
}
