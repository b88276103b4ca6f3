// Drives @keycloak/keycloak-admin-client, unchanged, against the server at BASE_URL: signs in to
// master's admin-cli with a password, then manages the realm "acme". Prints what it saw as JSON.
import KcAdminClient from "@keycloak/keycloak-admin-client";

const client = new KcAdminClient({ baseUrl: process.env.BASE_URL, realmName: "master" });
await client.auth({
  grantType: "password",
  clientId: "admin-cli",
  username: process.env.ADMIN_USERNAME,
  password: process.env.ADMIN_PASSWORD,
});
client.setConfig({ realmName: "acme" });

const seen = {};
const { id: userId } = await client.users.create({ username: "bob", enabled: true });
seen.usersCount = await client.users.count();
seen.found = (await client.users.find({ search: "bo", first: 0, max: 10 })).map((u) => u.username);

const reader = await client.roles.findOneByName({ name: "reader" });
await client.users.addRealmRoleMappings({ id: userId, roles: [{ id: reader.id, name: reader.name }] });
seen.realmMappings = (await client.users.listRealmRoleMappings({ id: userId })).map((r) => r.name);
seen.available = (await client.users.listAvailableRealmRoleMappings({ id: userId })).map((r) => r.name);

const shop = (await client.clients.find({ clientId: "shop" }))[0];
const buyer = await client.clients.findRole({ id: shop.id, roleName: "buyer" });
await client.users.addClientRoleMappings({
  id: userId,
  clientUniqueId: shop.id,
  roles: [{ id: buyer.id, name: buyer.name }],
});
seen.clientMappings = (
  await client.users.listClientRoleMappings({ id: userId, clientUniqueId: shop.id })
).map((r) => r.name);
const all = await client.users.listRoleMappings({ id: userId });
seen.allMappings = {
  realm: (all.realmMappings ?? []).map((r) => r.name),
  clients: Object.keys(all.clientMappings ?? {}),
};

const { id: groupId } = await client.groups.create({ name: "crew" });
await client.groups.addRealmRoleMappings({ id: groupId, roles: [{ id: "writer", name: "writer" }] });
await client.users.addToGroup({ id: userId, groupId });
seen.members = (await client.groups.listMembers({ id: groupId })).map((u) => u.username);
seen.userGroups = (await client.users.listGroups({ id: userId })).map((g) => g.path);
seen.composite = (await client.users.listCompositeRealmRoleMappings({ id: userId })).map((r) => r.name);
seen.groupsCount = await client.groups.count();

// Paging through the realm's roles, one at a time, ends.
const paged = [];
for (let first = 0; first < 100; first++) {
  const page = await client.roles.find({ first, max: 1 });
  if (page.length === 0) break;
  paged.push(page[0].name);
}
seen.paged = paged;

await client.users.delRealmRoleMappings({ id: userId, roles: [{ id: reader.id, name: reader.name }] });
await client.users.delFromGroup({ id: userId, groupId });
seen.afterRemoval = {
  realm: (await client.users.listRealmRoleMappings({ id: userId })).map((r) => r.name),
  groups: (await client.users.listGroups({ id: userId })).length,
};
// A 404 (JSON) is what the client reads as "no such user".
seen.missing = (await client.users.findOne({ id: "00000000-0000-0000-0000-000000000000" })) ?? null;
console.log(JSON.stringify(seen));
