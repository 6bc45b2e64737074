// `mesh token`: a test JWT from the mesh directory's local issuer (control/jwt-issuer.ts), and
// that issuer's public keys for a RequestAuthentication.
import { parseDuration } from '../../config/duration.ts';
import { jwksFile, LOCAL_ISSUER, loadOrCreateIssuer, mint } from '../../control/jwt-issuer.ts';
import { EXIT, UsageError } from '../output.ts';

export const help = `Usage: mesh token [DIR] [--sub SUB] [--aud AUD...] [--claims NAME=VALUE...] [--expires DURATION] [--issuer ISS]
       mesh token [DIR] --print-jwks

Prints a signed test JWT (RS256) for trying RequestAuthentication and requestPrincipals
policies locally. The signing key is made on first use in DIR/.mesh/token/key.pem (0600); its
public keys are in DIR/.mesh/token/jwks.json, and --print-jwks prints them, for the jwks field of
a RequestAuthentication:

  jwtRules:
    - issuer: localmesh
      jwks: '<what mesh token --print-jwks prints>'

  curl -H "Authorization: Bearer $(mesh token --sub alice)" localhost:8080/
  # requestPrincipals: ["localmesh/alice"]

Options:
  --sub SUB            the subject (default: dev)
  --aud AUD            an audience; repeat for several
  --claims NAME=VALUE  an extra claim; VALUE is read as JSON when it parses (42, true, ["a","b"]),
                       else as text; repeat for several
  --expires DURATION   lifetime (default 1h): 30s, 10m, 24h; a negative one (--expires=-5m)
                       makes a token that is already expired (Envoy allows 60 s of clock skew)
  --issuer ISS         the issuer (default: ${LOCAL_ISSUER})
  --print-jwks         print the issuer's JSON Web Key Set instead of a token
  --dir DIR            the mesh directory, as DIR first (default: the current directory)
  -h, --help           show this help`;

export interface TokenOptions {
  sub: string;
  aud: string[];
  claims: string[];
  expires: string;
  issuer: string;
  printJwks: boolean;
}

function claimsOf(pairs: readonly string[]): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--claims takes NAME=VALUE, not '${pair}': e.g. --claims group=admin.`);
    const text = pair.slice(eq + 1);
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      // text as written
    }
    claims[pair.slice(0, eq)] = value;
  }
  return claims;
}

function secondsOf(text: string): number {
  const negative = text.startsWith('-');
  const ms = parseDuration(negative ? text.slice(1) : text);
  if (ms === undefined) throw new UsageError(`--expires takes a duration such as 1h, 10m or -5m (already expired), not '${text}'.`);
  return Math.round((negative ? -ms : ms) / 1000);
}

export async function run(dir: string, options: TokenOptions): Promise<number> {
  const extra = claimsOf(options.claims);
  const expiresInS = secondsOf(options.expires);
  const issuer = await loadOrCreateIssuer(dir);
  if (issuer.created) console.error(`mesh token: made a signing key in ${jwksFile(dir).replace(/jwks\.json$/, 'key.pem')}; its public keys are in ${jwksFile(dir)}`);
  if (options.printJwks) {
    console.log(issuer.jwks);
    return EXIT.ok;
  }
  console.log(mint(issuer, { iss: options.issuer, sub: options.sub, aud: options.aud, expiresInS, extra }));
  return EXIT.ok;
}
