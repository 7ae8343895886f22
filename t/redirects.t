# Internal redirects, local error documents, the realm's quoting, and percent-encoded parameter names.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use OT::Test;

my $run = sprintf '%d-%04d', $$, int rand 10000;
my ($t_email, $t_read) = mint_many(
    { alg => 'RS256', claims => claims(sub => "redir-$run", email => "dora-$run\@example.com") },
    { alg => 'RS256', claims => claims(scope => 'orders:read') },
);

plan tests => 11;

# ErrorDocument 404 -> /redir/api/orders.json: same configuration, so httpd
# skips authentication for the redirect; the claim header and env follow it.
{
    my $res = GET_bearer('/redir/api/missing.json', $t_email, 'X-Email' => 'evil@example.com');
    is($res->code, 404, 'missing file under a Bearer location: 404 through the ErrorDocument');
    like($res->content, qr/"orders"/, 'the ErrorDocument (a protected file) was served');
    is($res->header('X-Seen-Email'), "dora-$run\@example.com",
       'the redirected request still carries the claim header, not the client copy');
    is($res->header('X-Oauth-Sub'), "redir-$run", 'and OAUTH_SUB');

    $res = GET_bearer('/redir/api/orders.json', $t_email, 'X-Email' => 'evil@example.com');
    is($res->header('X-Seen-Email'), "dora-$run\@example.com", 'the direct request too (control)');
}

# ErrorDocument 403 is local: the refusal still carries its RFC 6750 challenge.
{
    my $res = GET_bearer('/errdoc/api/orders.json', $t_read);
    is($res->code, 403, 'missing scope with a local ErrorDocument 403: 403');
    like($res->content, qr/mod_oauth_token test server/, 'the ErrorDocument was served');
    my @problems = bearer_challenge_is($res, status => 403, error => 'insufficient_scope',
                                       scope => 'orders:admin');
    ok(!@problems, 'and the insufficient_scope challenge is there') or diag join "\n", @problems;
}

# AuthName "orders \"API\"": one level of escaping in the quoted-string.
{
    my $res = Apache::TestRequest::GET('/quoted-realm/api/orders.json');
    is($res->code, 401, 'no token: 401');
    is($res->header('WWW-Authenticate'), 'Bearer realm="orders \"API\""',
       'realm quoted and escaped exactly once');
}

# "access%5Ftoken" is access_token once decoded: refused like the plain name.
{
    my $res = Apache::TestRequest::GET("/default/api/orders.json?access%5Ftoken=$t_read");
    is($res->code, 400, 'percent-encoded access_token parameter in the query: 400');
}
