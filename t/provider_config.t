# `httpd -t` and the issue-3 directives (discovery, introspection, provider settings): valid forms pass without fetching anything, each broken one is refused naming its directive.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test qw(-withtestmore);
use File::Temp qw(tempfile);
use OT::Test;

my ($ca_fh, $ca_file) = tempfile('ot-ca-XXXXXX', TMPDIR => 1, UNLINK => 1);
print $ca_fh "# no certificates: the file only has to exist for httpd -t\n";
close $ca_fh;
my ($secret_fh, $secret_file) = tempfile('ot-secret-XXXXXX', TMPDIR => 1, UNLINK => 1);
print $secret_fh "introspector-secret\n";
close $secret_fh;
my ($empty_fh, $empty_file) = tempfile('ot-empty-XXXXXX', TMPDIR => 1, UNLINK => 1);
close $empty_fh;

my $issuer = "OAuthTokenIssuer https://idp.example/\n";
my $location = join "\n", '<Location /api>', '    AuthType Bearer', '    AuthName "orders API"',
    '    OAuthTokenAudience https://api.test', '    Require valid-user', '</Location>', '';
sub location_with {
    my (@lines) = @_;
    return join "\n", '<Location /api>', '    AuthType Bearer', '    AuthName "orders API"',
        '    OAuthTokenAudience https://api.test', (map { "    $_" } @lines),
        '    Require valid-user', '</Location>', '';
}

# [name, config text, directive the message must name (undef: must pass)]
my @cases = (
    ['discovery alone (an https issuer, nothing fetched by httpd -t)', $issuer . $location, undef],
    ['every provider directive, valid',
     "OAuthTokenCache shmcb\n"
     . "OAuthTokenHTTPTimeout 3 10\n"
     . "OAuthTokenCAFile $ca_file\n"
     . "OAuthTokenJWKSRefreshInterval 10\n"
     . "OAuthTokenJWKSMaxAge 600\n"
     . "OAuthTokenJWKSMaxStale 3600\n"
     . $issuer
     . "OAuthTokenMetadataURL https://idp.example/.well-known/openid-configuration\n"
     . "OAuthTokenJWKS https://idp.example/jwks\n"
     . "OAuthTokenIntrospection https://idp.example/introspect introspector file:$secret_file post\n"
     . "OAuthTokenIssuer https://idp2.example/realms/x\n"
     . "OAuthTokenIntrospection https://idp2.example/introspect introspector s3cret basic\n"
     . location_with('OAuthTokenIntrospect always', 'OAuthTokenIntrospectionCacheTTL 0'),
     undef],
    ['plain http to loopback addresses', join('', map { "OAuthTokenIssuer $_\n" }
        'http://127.0.0.1:9/', 'http://localhost:9/op', 'http://[::1]:9/') . $location, undef],
    ['OAuthTokenHTTPTimeout with one value', $issuer . "OAuthTokenHTTPTimeout 4\n" . $location, undef],

    ['an issuer that is not a URL', "OAuthTokenIssuer idp.example\n" . $location, 'OAuthTokenIssuer'],
    ['the same issuer twice', $issuer x 2 . $location, 'OAuthTokenIssuer'],
    ['discovery over plain http to another host',
     "OAuthTokenIssuer http://idp.example/\n" . $location, 'OAuthTokenIssuer'],
    ['OAuthTokenMetadataURL over plain http to another host',
     $issuer . "OAuthTokenMetadataURL http://idp.example/.well-known/openid-configuration\n" . $location,
     'OAuthTokenMetadataURL'],
    ['OAuthTokenJWKS URL over plain http to another host',
     $issuer . "OAuthTokenJWKS http://idp.example/jwks\n" . $location, 'OAuthTokenJWKS'],
    ['OAuthTokenMetadataURL before any issuer',
     "OAuthTokenMetadataURL https://idp.example/.well-known/openid-configuration\n" . $issuer . $location,
     'OAuthTokenMetadataURL'],
    ['OAuthTokenIntrospection before any issuer',
     "OAuthTokenIntrospection https://idp.example/introspect introspector s3cret\n" . $issuer . $location,
     'OAuthTokenIntrospection'],
    ['OAuthTokenIntrospection without a secret',
     $issuer . "OAuthTokenIntrospection https://idp.example/introspect introspector\n" . $location,
     'OAuthTokenIntrospection'],
    ['OAuthTokenIntrospection with an unknown client authentication',
     $issuer . "OAuthTokenIntrospection https://idp.example/introspect introspector s3cret jwt\n" . $location,
     'OAuthTokenIntrospection'],
    ['OAuthTokenIntrospection with a secret file that does not exist',
     $issuer . "OAuthTokenIntrospection https://idp.example/introspect introspector file:$secret_file.missing\n"
     . $location, 'OAuthTokenIntrospection'],
    ['OAuthTokenIntrospection with an empty secret file',
     $issuer . "OAuthTokenIntrospection https://idp.example/introspect introspector file:$empty_file\n"
     . $location, 'OAuthTokenIntrospection'],
    ['OAuthTokenIntrospection over plain http to another host',
     $issuer . "OAuthTokenIntrospection http://idp.example/introspect introspector s3cret\n" . $location,
     'OAuthTokenIntrospection'],
    ['OAuthTokenIntrospect with an unknown mode',
     $issuer . location_with('OAuthTokenIntrospect sometimes'), 'OAuthTokenIntrospect'],
    ['OAuthTokenIntrospectionCacheTTL negative',
     $issuer . location_with('OAuthTokenIntrospectionCacheTTL -1'), 'OAuthTokenIntrospectionCacheTTL'],
    ['OAuthTokenHTTPTimeout 0', $issuer . "OAuthTokenHTTPTimeout 0\n" . $location, 'OAuthTokenHTTPTimeout'],
    ['OAuthTokenHTTPTimeout total shorter than connect',
     $issuer . "OAuthTokenHTTPTimeout 5 2\n" . $location, 'OAuthTokenHTTPTimeout'],
    ['OAuthTokenCAFile that does not exist',
     $issuer . "OAuthTokenCAFile $ca_file.missing\n" . $location, 'OAuthTokenCAFile'],
    ['OAuthTokenJWKSRefreshInterval not a number',
     $issuer . "OAuthTokenJWKSRefreshInterval often\n" . $location, 'OAuthTokenJWKSRefreshInterval'],
    ['OAuthTokenJWKSMaxAge 0', $issuer . "OAuthTokenJWKSMaxAge 0\n" . $location, 'OAuthTokenJWKSMaxAge'],
    ['OAuthTokenJWKSMaxStale not a number',
     $issuer . "OAuthTokenJWKSMaxStale forever\n" . $location, 'OAuthTokenJWKSMaxStale'],
    ['a provider setting inside a virtual host (main server only)',
     $issuer . $location . "<VirtualHost 127.0.0.1:9>\n    OAuthTokenJWKSRefreshInterval 10\n</VirtualHost>\n",
     'OAuthTokenJWKSRefreshInterval'],
    ['an unknown socache provider',
     $issuer . "OAuthTokenCache nosuchcache\n" . $location, 'OAuthTokenCache'],
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
