// A real OpenID Connect provider (the certified `oidc-provider` package) for the single
// sign-on tests. Test-only shortcuts, never in production code:
//  - no login page: the person is whoever the authorisation request's login_hint names
//    (one of USERS), and consent is granted at once;
//  - POST /__test/mode {"mode": ...} makes the token endpoint hand out a bad ID token
//    (wrong-audience, wrong-issuer, expired: re-signed with the provider's own key;
//    tampered: a claim changed without re-signing), so the tests see what the relying
//    party does with each.
// Configuration comes as JSON in the OIDC_TEST_CONFIG variable:
//   {"port": 0, "clients": [{"client_id", "client_secret", "redirect_uris"}],
//    "users": {"email": {"name", "groups": [...]}}}
// It prints "listening <issuer>" once it accepts connections.
import http from "node:http";
import Provider from "oidc-provider";
import { SignJWT, decodeJwt, exportJWK, generateKeyPair, importJWK } from "jose";

const config = JSON.parse(process.env.OIDC_TEST_CONFIG);
const { privateKey } = await generateKeyPair("RS256", { extractable: true });
const signingJwk = { ...(await exportJWK(privateKey)), kid: "test-key", alg: "RS256", use: "sig" };
let mode = "normal";

function startServer(port) {
  return new Promise((resolve) => {
    const server = http.createServer();
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

const server = await startServer(config.port || 0);
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: config.clients.map((client) => ({
    ...client,
    grant_types: ["authorization_code"],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_post",
  })),
  jwks: { keys: [signingJwk] },
  claims: { openid: ["sub", "groups"], email: ["email", "email_verified"], profile: ["name"] },
  // Put the scopes' claims in the ID token (as Entra ID does with its optional claims).
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false } },
  // The planner must send PKCE: the provider refuses a code flow without it.
  pkce: { required: () => true },
  async findAccount(ctx, id) {
    const user = config.users[id];
    if (!user) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: id, email_verified: true, name: user.name, groups: user.groups };
      },
    };
  },
});

async function resign(claims) {
  const key = await importJWK(signingJwk, "RS256");
  return new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: "test-key" }).sign(key);
}

async function badIdToken(idToken) {
  const claims = decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  if (mode === "wrong-audience") return resign({ ...claims, aud: "someone-else" });
  if (mode === "wrong-issuer") return resign({ ...claims, iss: "http://127.0.0.1:1/elsewhere" });
  if (mode === "expired") return resign({ ...claims, iat: now - 7200, exp: now - 3600 });
  if (mode === "tampered") {
    const [header, , signature] = idToken.split(".");
    const payload = Buffer.from(JSON.stringify({ ...claims, groups: ["Planner-Admins"] })).toString("base64url");
    return `${header}.${payload}.${signature}`;
  }
  return idToken;
}

provider.use(async (ctx, next) => {
  if (ctx.path === "/__test/mode" && ctx.method === "POST") {
    const chunks = [];
    for await (const chunk of ctx.req) chunks.push(chunk);
    mode = JSON.parse(Buffer.concat(chunks).toString()).mode;
    ctx.body = { mode };
    return;
  }
  if (ctx.path.startsWith("/interaction/")) {
    // No login page: sign in as the login_hint and grant what the client asked for.
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const accountId = details.params.login_hint;
    if (!config.users[accountId]) {
      ctx.status = 400;
      ctx.body = `unknown test user ${accountId}`;
      return;
    }
    const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    const grantId = await grant.save();
    await provider.interactionFinished(
      ctx.req,
      ctx.res,
      { login: { accountId }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  await next();
  if (ctx.path === "/token" && mode !== "normal" && ctx.body && ctx.body.id_token) {
    ctx.body = { ...ctx.body, id_token: await badIdToken(ctx.body.id_token) };
  }
});

server.on("request", provider.callback());
console.log(`listening ${issuer}`);
