# Where a token may come from: the Authorization header (any case), the query only where enabled; malformed forms are a 400.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use OT::Test;

my ($token, $expired) = mint_many(
    { alg => 'ES256', claims => claims(sub => 'form-user') },
    { alg => 'ES256', claims => claims(exp => now() - 3600) },
);
my $orders = '/api/orders.json';

plan tests => 21;

sub GET { Apache::TestRequest::GET(@_) }

sub invalid_request {
    my ($res) = @_;
    return bearer_challenge_is($res, status => 400, error => 'invalid_request',
                               token => $token, exact => 1);
}

# --- the header, scheme name case-insensitive (RFC 7235)
for my $scheme (qw(bearer BEARER BeArEr)) {
    my $res = GET("/default$orders", Authorization => "$scheme $token");
    no_problems("scheme written '$scheme' is accepted", accepted($res, 'form-user'));
}

# --- the query
{
    my $res = GET("/default$orders?access_token=$token");
    no_problems('token in the query where it is not enabled -> 400 invalid_request',
                invalid_request($res));
    $res = GET("/default$orders?page=2&access_token=$token");
    no_problems('... also after another parameter -> 400', invalid_request($res));

    $res = GET("/query$orders?access_token=$token");
    no_problems('token in the query where OAuthTokenAcceptTokenIn lists query -> 200',
                accepted($res, 'form-user'));
    $res = GET("/query$orders?page=2&access_token=$token");
    no_problems('... also after another parameter -> 200', accepted($res, 'form-user'));
    $res = GET("/query$orders", Authorization => "Bearer $token");
    no_problems('the header still works there -> 200', accepted($res, 'form-user'));
    $res = GET("/query$orders?access_token=$expired");
    no_problems('expired token in the query -> 401 invalid_token',
                bearer_challenge_is($res, status => 401, error => 'invalid_token',
                                    token => $expired, exact => 1));
    $res = GET("/query$orders");
    no_problems('no token at all where the query is enabled -> bare 401',
                bearer_challenge_is($res, status => 401, error => undef, exact => 1));
}

# --- two credentials in one request
{
    my $res = GET("/query$orders?access_token=$token", Authorization => "Bearer $token");
    no_problems('header and query (query enabled) -> 400', invalid_request($res));
    $res = GET("/default$orders?access_token=$token", Authorization => "Bearer $token");
    no_problems('header and query (query not enabled) -> 400', invalid_request($res));
    $res = GET("/query$orders?access_token=$token&access_token=$token");
    no_problems('access_token twice in the query -> 400', invalid_request($res));
    $res = raw_request("GET /default$orders HTTP/1.1\n"
                       . "Authorization: Bearer $token\nAuthorization: Bearer $token");
    no_problems('two Authorization headers (merged with a comma) -> 400', invalid_request($res));
}

# --- malformed Authorization: Bearer values
{
    my $res = raw_request("GET /default$orders HTTP/1.1\nAuthorization: Bearer");
    no_problems('"Bearer" with no token -> 400', invalid_request($res));
    $res = raw_request("GET /default$orders HTTP/1.1\nAuthorization: Bearer    ");
    no_problems('"Bearer" and spaces only -> 400', invalid_request($res));
    $res = GET("/default$orders", Authorization => "Bearer $token trailing");
    no_problems('a space inside the token -> 400', invalid_request($res));
    $res = GET("/default$orders", Authorization => "Bearer $token,$token");
    no_problems('a comma inside the token -> 400', invalid_request($res));
    $res = GET("/default$orders", Authorization => 'Bearer abc"def');
    no_problems('a quote inside the token -> 400', invalid_request($res));
}

# --- other schemes are not bearer credentials: the bare challenge
{
    my $res = GET("/default$orders", Authorization => 'Basic YWxpY2U6c2VjcmV0');
    no_problems('Basic credentials -> 401 without error',
                bearer_challenge_is($res, status => 401, error => undef, exact => 1));
    $res = GET("/default$orders", Authorization => "Token $token");
    no_problems('an unknown scheme carrying a JWT -> 401 without error',
                bearer_challenge_is($res, status => 401, error => undef, exact => 1));
}
