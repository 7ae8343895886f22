# `httpd -t` refuses each broken configuration with a message naming the directive, and passes valid ones.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test qw(-withtestmore);
use File::Temp qw(tempfile);
use OT::Test;

my $keys = keys_dir();
my ($notjson_fh, $notjson) = tempfile('ot-notjson-XXXXXX', TMPDIR => 1, UNLINK => 1);
print $notjson_fh "this is not a key set\n";
close $notjson_fh;

# An issuer whose only secret is 32 bytes: enough for HS256, not for HS512.
my ($short_fh, $short_jwks) = tempfile('ot-shortoct-XXXXXX', TMPDIR => 1, UNLINK => 1);
print $short_fh '{"keys":[{"kty":"oct","kid":"short","k":"' . ('A' x 43) . '"}]}';
close $short_fh;
my $short_issuer = "OAuthTokenIssuer https://hs.test/\nOAuthTokenJWKS file:$short_jwks\n";

my $issuer = <<"EOC";
OAuthTokenIssuer https://issuer.test/
OAuthTokenJWKS   file:$keys/jwks.json
EOC

sub location {
    my (@lines) = @_;
    return join "\n", '<Location /api>', '    AuthType Bearer', '    AuthName "orders API"',
        (map { "    $_" } @lines), '</Location>', '';
}

my $audience = 'OAuthTokenAudience https://api.test';

# [name, config text, directive the message must name (undef: must pass)]
my @cases = (
    ['minimal valid configuration', $issuer . location($audience, 'Require oauth-scope orders:read'), undef],
    ['every resource-server directive, valid',
     $issuer
     . "OAuthTokenIssuer https://hs.test/\nOAuthTokenJWKS file:$keys/hmac-jwks.json\n"
     . "OAuthTokenClient login-client\n"
     . location("$audience https://api2.test",
                'OAuthTokenAlgorithms RS256 PS384 ES512 EdDSA HS256',
                'OAuthTokenAcceptType at+jwt JWT',
                'OAuthTokenClockSkew 30',
                'OAuthTokenSubjectClaim email',
                'OAuthTokenScopeClaim scp',
                'OAuthTokenPassClaim email X-Email',
                'OAuthTokenPassClaim realm_access.roles X-Roles',
                'OAuthTokenAcceptTokenIn header query',
                '<RequireAll>',
                '    Require oauth-scope orders:read orders:write',
                '    Require oauth-claim realm_access.roles admin',
                '    Require oauth-client client-1 client-2',
                '    Require ip 127.0.0.1',
                '</RequireAll>'),
     undef],
    ['HS256 allowed when an issuer has an oct key',
     "OAuthTokenIssuer https://hs.test/\nOAuthTokenJWKS file:$keys/hmac-jwks.json\n"
     . location($audience, 'OAuthTokenAlgorithms HS256', 'Require valid-user'),
     undef],

    ['Bearer location without an audience',
     $issuer . location('Require valid-user'), 'OAuthTokenAudience'],
    ['AuthType Bearer with no issuer configured',
     location($audience, 'Require valid-user'), 'OAuthTokenIssuer'],
    ['key set file that does not exist',
     "OAuthTokenIssuer https://issuer.test/\nOAuthTokenJWKS file:$keys/no-such-file.json\n"
     . location($audience, 'Require valid-user'), 'OAuthTokenJWKS'],
    ['key set that is not JSON',
     "OAuthTokenIssuer https://issuer.test/\nOAuthTokenJWKS file:$notjson\n"
     . location($audience, 'Require valid-user'), 'OAuthTokenJWKS'],
    ['key set with a 1024-bit RSA key',
     "OAuthTokenIssuer https://issuer.test/\nOAuthTokenJWKS file:$keys/bad-jwks.json\n"
     . location($audience, 'Require valid-user'), 'OAuthTokenJWKS'],
    ['OAuthTokenJWKS before any OAuthTokenIssuer',
     "OAuthTokenJWKS file:$keys/jwks.json\nOAuthTokenIssuer https://issuer.test/\n"
     . location($audience, 'Require valid-user'), 'OAuthTokenJWKS'],
    ['unknown algorithm name',
     $issuer . location($audience, 'OAuthTokenAlgorithms RS256 XS999', 'Require valid-user'),
     'OAuthTokenAlgorithms'],
    ['algorithm none',
     $issuer . location($audience, 'OAuthTokenAlgorithms none', 'Require valid-user'),
     'OAuthTokenAlgorithms'],
    ['HS256 allowed but no issuer has an oct key',
     $issuer . location($audience, 'OAuthTokenAlgorithms RS256 HS256', 'Require valid-user'),
     'OAuthTokenAlgorithms'],
    ['HS512 allowed but the only secret is 32 bytes (RFC 7518 3.2)',
     $short_issuer . location($audience, 'OAuthTokenAlgorithms HS512', 'Require valid-user'),
     'OAuthTokenAlgorithms'],
    ['HS256 with a 32-byte secret',
     $short_issuer . location($audience, 'OAuthTokenAlgorithms HS256', 'Require valid-user'),
     undef],
    ['the audience of <Location /api> does not reach <Location /apiv2>',
     $issuer . "<Location /api>\n    $audience\n</Location>\n"
     . "<Location /apiv2>\n    AuthType Bearer\n    Require valid-user\n</Location>\n",
     'OAuthTokenAudience'],
    ['the audience of <Location /api> reaches <Location /api/v1>',
     $issuer . "<Location /api>\n    $audience\n</Location>\n"
     . "<Location /api/v1>\n    AuthType Bearer\n    Require valid-user\n</Location>\n",
     undef],
    ['audience in a <Directory>, AuthType Bearer in a <Location> (warned, not refused)',
     $issuer . "<Directory /tmp>\n    $audience\n</Directory>\n"
     . "<Location /api>\n    AuthType Bearer\n    Require valid-user\n</Location>\n",
     undef],
    ['clock skew that is not a number',
     $issuer . location($audience, 'OAuthTokenClockSkew soon', 'Require valid-user'),
     'OAuthTokenClockSkew'],
    ['unknown place to accept a token from',
     $issuer . location($audience, 'OAuthTokenAcceptTokenIn header cookie', 'Require valid-user'),
     'OAuthTokenAcceptTokenIn'],
);

plan tests => 2 * @cases;

for my $case (@cases) {
    my ($name, $text, $directive) = @$case;
    my ($status, $out) = httpd_config_test($text);
    (my $short = $out) =~ s/\s+$//;
    if (defined $directive) {
        isnt($status, 0, "$name: httpd -t fails") or diag("output: $short");
        like($out, qr/\b\Q$directive\E\b/, "$name: the message names $directive")
            or diag("output: $short");
    }
    else {
        is($status, 0, "$name: httpd -t passes") or diag("output: $short\nconfig:\n$text");
        like($out, qr/Syntax OK/, "$name: Syntax OK") or diag("output: $short");
    }
}
