# Helpers for the mod_oauth_token Apache::Test suite: tokens, challenges, raw requests, httpd -t.
package OT::Test;

use strict;
use warnings;

use Cwd qw(abs_path);
use Exporter 'import';
use File::Basename qw(dirname);
use File::Spec::Functions qw(catfile catdir);
use File::Temp qw(tempdir tempfile);
use IO::Socket::INET ();
use JSON::PP ();
use HTTP::Response ();

our @EXPORT = qw(
    now claims mint mint_many tamper_segment b64url_json
    top_dir t_dir keys_dir key_file
    GET_bearer raw_request
    parse_www_authenticate challenges single_challenge
    bearer_challenge_is accepted no_problems
    log_file log_offset log_since wait_for_log
    httpd_config_test apxs_query httpd_binary
);

my $JSON = JSON::PP->new->canonical->allow_nonref;

# ------------------------------------------------------------------ paths

sub top_dir {
    my $top = eval { require Apache::Test; Apache::Test::vars('top_dir') };
    return $top if $top;
    # t/lib/OT/Test.pm -> top
    return dirname(dirname(dirname(dirname(abs_path(__FILE__)))));
}

sub t_dir {
    my $t = eval { require Apache::Test; Apache::Test::vars('t_dir') };
    return $t || catdir(top_dir(), 't');
}

sub keys_dir { catdir(t_dir(), 'keys') }

# key_file('rsa1') -> private PEM, key_file('other1') -> the other issuer's
# private PEM, key_file('hs1') -> the base64url HMAC secret, and
# key_file('public:rsa1') -> public PEM. A name with a slash is a path.
sub key_file {
    my ($name) = @_;
    return $name if $name =~ m{/};
    my $dir = keys_dir();
    return catfile($dir, 'public', "$1.pem") if $name =~ /^public:(\w+)$/;
    return catfile($dir, 'other-private', 'other.pem') if $name eq 'other1';
    return catfile($dir, 'private', 'hs1.key') if $name eq 'hs1';
    return catfile($dir, 'private', "$name.pem");
}

# ------------------------------------------------------------------ tokens

sub now { 0 + time }

# Good access-token claims; an override of undef removes the claim.
sub claims {
    my (%over) = @_;
    my $t = now();
    my %c = (
        iss       => 'https://issuer.test/',
        aud       => 'https://api.test',
        sub       => 'alice',
        client_id => 'client-1',
        scope     => 'orders:read profile',
        exp       => $t + 300,
        iat       => $t,
        jti       => sprintf('jti-%d-%d-%08x', $$, $t, int rand 0xffffffff),
    );
    for my $k (keys %over) {
        if (defined $over{$k}) { $c{$k} = $over{$k} } else { delete $c{$k} }
    }
    return \%c;
}

my %DEFAULT_KEY = (
    RS256 => 'rsa1', RS384 => 'rsa1', RS512 => 'rsa1',
    PS256 => 'rsa1', PS384 => 'rsa1', PS512 => 'rsa1',
    ES256 => 'ec256', ES384 => 'ec384', ES512 => 'ec521',
    EdDSA => 'ed1',
    HS256 => 'hs1', HS384 => 'hs1', HS512 => 'hs1',
);

# One spec for t/bin/mint-token batch. Perl-side conveniences:
#   alg      required
#   key      key name (rsa1, rsa2, ec256, ec384, ec521, ed1, other1) or path;
#            default from alg; HS* algorithms use hmac => 'hs1'
#   hmac     'hs1' or a path; hmac_raw: 'public:rsa1' or a path
#   kid      default: the key's name; kid => undef omits it
#   typ      default at+jwt; typ => undef omits it
#   claims   hashref, default claims()
#   header, payload_raw, sig   passed through
sub _spec {
    my (%s) = @_;
    die "mint: alg is required\n" unless exists $s{alg};
    my %out = (alg => $s{alg});
    my $name;
    if (defined $s{sig}) {
        $out{sig} = $s{sig};
    }
    elsif (defined $s{hmac_raw}) {
        $out{hmac_raw} = key_file($s{hmac_raw});
    }
    elsif (defined $s{hmac} || (!defined $s{key} && ($s{alg} // '') =~ /^HS/)) {
        $name = $s{hmac} // 'hs1';
        $out{hmac} = key_file($name);
    }
    else {
        $name = $s{key} // $DEFAULT_KEY{$s{alg} // ''}
            or die "mint: no default key for alg $s{alg}\n";
        $out{key} = key_file($name);
    }
    if (exists $s{kid}) {
        $out{kid} = $s{kid} if defined $s{kid};
    }
    elsif (defined $name && $name !~ m{/}) {
        $out{kid} = $name;
    }
    if (exists $s{typ}) { $out{typ} = $s{typ} }          # undef -> JSON null -> no typ
    $out{header} = $s{header} if $s{header};
    $out{ecdsa_der} = JSON::PP::true() if $s{ecdsa_der};
    if (defined $s{payload_raw}) { $out{payload_raw} = $s{payload_raw} }
    else { $out{claims} = $s{claims} || claims() }
    return \%out;
}

sub mint_many {
    my (@specs) = @_;
    return () unless @specs;
    my ($fh, $file) = tempfile('ot-mint-XXXXXX', TMPDIR => 1, UNLINK => 1);
    print $fh $JSON->encode(_spec(%$_)), "\n" for @specs;
    close $fh or die "$file: $!";
    my $node = $ENV{NODE} || 'node';
    my $script = catfile(t_dir(), 'bin', 'mint-token');
    my $out = `"$node" "$script" batch < "$file"`;
    die "mint-token batch failed (exit $?)\n" if $?;
    my @tokens = split /\n/, $out;
    die sprintf("mint-token returned %d tokens for %d specs\n", scalar @tokens, scalar @specs)
        unless @tokens == @specs;
    return @tokens;
}

sub mint { my @t = mint_many({@_}); return $t[0] }

# Replace segment $i (0 header, 1 payload, 2 signature) of a compact JWS.
sub tamper_segment {
    my ($token, $i, $new) = @_;
    my @p = split /\./, $token, -1;
    $p[$i] = $new;
    return join '.', @p;
}

sub b64url_json {
    my ($data) = @_;
    require MIME::Base64;
    my $s = MIME::Base64::encode_base64(ref $data ? $JSON->encode($data) : $data, '');
    $s =~ tr{+/}{-_};
    $s =~ s/=+$//;
    return $s;
}

# ------------------------------------------------------------------ requests

sub GET_bearer {
    my ($path, $token, @headers) = @_;
    require Apache::TestRequest;
    return Apache::TestRequest::GET($path, Authorization => "Bearer $token", @headers);
}

# Sends $head (request line and header lines, without the final empty line)
# verbatim, so that malformed or duplicated headers reach httpd as written.
sub raw_request {
    my ($head) = @_;
    require Apache::TestRequest;
    my $hostport = Apache::TestRequest::hostport();
    my $sock = IO::Socket::INET->new(PeerAddr => $hostport, Timeout => 30)
        or die "connect $hostport: $!";
    $head =~ s/\r?\n/\r\n/g;
    $head .= "\r\n" unless $head =~ /\r\n$/;
    $head .= "Host: $hostport\r\n" unless $head =~ /^Host:/mi;
    $head .= "Connection: close\r\n" unless $head =~ /^Connection:/mi;
    print $sock $head, "\r\n";
    local $/;
    my $answer = <$sock>;
    close $sock;
    return HTTP::Response->parse($answer // '');
}

# ------------------------------------------------------------------ challenges

# 'Bearer realm="x", error="y"' -> ('Bearer', { realm => 'x', error => 'y' }, [order]).
# Returns () when the value is not a well-formed single challenge.
sub parse_www_authenticate {
    my ($value) = @_;
    return () unless defined $value;
    local $_ = $value;
    return () unless s/^\s*([!#\$%&'*+.^_`|~0-9A-Za-z-]+)//;
    my $scheme = $1;
    my (%p, @order);
    return ($scheme, \%p, \@order) if /^\s*$/;
    return () unless s/^ +//;
    while (length) {
        return () unless s/^([!#\$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*//;
        my $name = lc $1;
        my $v;
        if (s/^"((?:[^"\\]|\\.)*)"//) {
            ($v = $1) =~ s/\\(.)/$1/g;
        }
        elsif (s/^([!#\$%&'*+.^_`|~0-9A-Za-z-]+)//) {
            $v = $1;
        }
        else {
            return ();
        }
        return () if exists $p{$name};    # a repeated parameter is malformed
        $p{$name} = $v;
        push @order, $name;
        last if /^\s*$/;
        return () unless s/^\s*,\s*//;
    }
    return ($scheme, \%p, \@order);
}

sub challenges {
    my ($res) = @_;
    return $res->header('WWW-Authenticate') ? ($res->headers->header('WWW-Authenticate')) : ();
}

sub single_challenge {
    my ($res) = @_;
    my @c = $res->headers->header('WWW-Authenticate');
    return @c == 1 ? $c[0] : undef;
}

# Checks status and the Bearer challenge of $res; returns a list of problems
# (empty when all is well) so that a .t can report them in one ok().
#   status  => 401
#   realm   => 'orders API'
#   error   => 'invalid_token' | undef (must be absent)
#   scope   => 'a b' (exact) | undef (not checked)
#   exact   => 1: header must be exactly as RFC 6750's examples order it
#   token   => the token sent: error_description must not contain it
sub bearer_challenge_is {
    my ($res, %want) = @_;
    my @problems;
    my $got_status = $res->code;
    push @problems, "status $got_status, want $want{status}"
        if defined $want{status} && $got_status != $want{status};
    my @c = $res->headers->header('WWW-Authenticate');
    if (@c != 1) {
        push @problems, sprintf('%d WWW-Authenticate headers (%s), want 1',
                                scalar @c, join(' | ', @c));
        return @problems;
    }
    my ($scheme, $p, $order) = parse_www_authenticate($c[0]);
    unless ($scheme) {
        return (@problems, "unparsable WWW-Authenticate: $c[0]");
    }
    push @problems, "scheme '$scheme', want Bearer" unless $scheme eq 'Bearer';
    my $realm = exists $want{realm} ? $want{realm} : 'orders API';
    push @problems, sprintf("realm %s, want '%s'", _q($p->{realm}), $realm)
        unless defined $p->{realm} && $p->{realm} eq $realm;
    if (exists $want{error}) {
        if (defined $want{error}) {
            push @problems, sprintf("error %s, want '%s'", _q($p->{error}), $want{error})
                unless defined $p->{error} && $p->{error} eq $want{error};
        }
        else {
            for my $k (qw(error error_description error_uri scope)) {
                push @problems, "unexpected $k=" . _q($p->{$k}) if exists $p->{$k};
            }
        }
    }
    if (defined $want{scope}) {
        push @problems, sprintf("scope %s, want '%s'", _q($p->{scope}), $want{scope})
            unless defined $p->{scope} && $p->{scope} eq $want{scope};
    }
    if (defined $p->{error_description}) {
        push @problems, "error_description has characters RFC 6750 forbids"
            if $p->{error_description} =~ /[^\x20\x21\x23-\x5B\x5D-\x7E]/;
        if (defined $want{token} && length $want{token} >= 8) {
            my @segs = grep { length >= 8 } split /\./, $want{token};
            for my $s ($want{token}, @segs) {
                if (index($p->{error_description}, $s) >= 0) {
                    push @problems, 'error_description contains the token';
                    last;
                }
            }
        }
    }
    if ($want{exact}) {
        my $want_order = join ',', grep { exists $p->{$_} }
            qw(realm error error_description scope);
        my $got_order = join ',', @$order;
        push @problems, "parameters in order ($got_order), want ($want_order)"
            unless $got_order eq $want_order;
        push @problems, "unexpected parameter(s) in: $c[0]"
            if grep { !/^(realm|error|error_description|error_uri|scope)$/ } @$order;
        my $re = qr/^Bearer realm="[^"\\]*"(?:, error="[a-z_]+"(?:, error_description="[\x20\x21\x23-\x5B\x5D-\x7E]*")?(?:, scope="[\x21\x23-\x5B\x5D-\x7E ]*")?)?$/;
        push @problems, "not in RFC 6750 form: $c[0]" unless $c[0] =~ $re;
    }
    return @problems;
}

sub _q { defined $_[0] ? "'$_[0]'" : 'absent' }

# Problems with a response that should be a 200 served to subject $sub
# (checked through the X-Oauth-Sub echo header when $sub is defined).
sub accepted {
    my ($res, $sub) = @_;
    my @problems;
    if ($res->code != 200) {
        my $c = join ' | ', $res->headers->header('WWW-Authenticate');
        push @problems, sprintf('status %d, want 200%s', $res->code,
                                length $c ? " (WWW-Authenticate: $c)" : '');
    }
    if (defined $sub) {
        my $got = $res->header('X-Oauth-Sub');
        push @problems, sprintf("OAUTH_SUB %s, want '%s'", _q($got), $sub)
            unless defined $got && $got eq $sub;
    }
    return @problems;
}

# One test: passes when the problem list is empty, else lists the problems.
sub no_problems {
    my ($name, @problems) = @_;
    require Test::More;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $ok = Test::More::ok(!@problems, $name);
    Test::More::diag("    $_") for @problems;
    return $ok;
}

# ------------------------------------------------------------------ logs

sub log_file {
    my ($name) = @_;
    my $logs = eval { require Apache::Test; Apache::Test::vars('t_logs') }
        || catdir(t_dir(), 'logs');
    return catfile($logs, $name);
}

sub log_offset { my $s = -s $_[0]; return $s || 0 }

sub log_since {
    my ($file, $offset) = @_;
    open my $fh, '<', $file or return '';
    seek $fh, $offset, 0;
    local $/;
    my $text = <$fh>;
    return $text // '';
}

# Polls $file from $offset until a line matches $re (httpd writes the
# access log after the response went out). Returns the matching lines.
sub wait_for_log {
    my ($file, $offset, $re, $timeout) = @_;
    $timeout //= 5;
    my $until = time + $timeout;
    while (1) {
        my @lines = grep { $_ =~ $re } split /\n/, log_since($file, $offset);
        return @lines if @lines;
        return () if time > $until;
        select undef, undef, undef, 0.1;
    }
}

# ------------------------------------------------------------------ httpd -t

sub apxs_query {
    my ($var) = @_;
    my $apxs = eval { require Apache::Test; Apache::Test::vars('apxs') } || $ENV{APXS} || 'apxs';
    my $v = `"$apxs" -q $var 2>/dev/null`;
    chomp $v;
    return $v;
}

sub httpd_binary {
    my $httpd = eval { require Apache::Test; Apache::Test::vars('httpd') };
    return $httpd if $httpd && -x $httpd;
    my $sbin = apxs_query('SBINDIR');
    my $target = apxs_query('TARGET') || 'httpd';
    return catfile($sbin, $target);
}

sub _free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => 'tcp', Listen => 1, ReuseAddr => 1)
        or return 18000 + int rand 1000;
    my $port = $s->sockport;
    close $s;
    return $port;
}

# Writes a minimal httpd configuration followed by $config_text, runs
# `httpd -t -f FILE` and returns (exit status, stdout+stderr).
sub httpd_config_test {
    my ($config_text) = @_;
    my $httpd = httpd_binary();
    my $libexec = apxs_query('LIBEXECDIR');
    my %compiled = map { /^\s*(mod_\w+)\.c/ ? ($1 => 1) : () } `"$httpd" -l 2>/dev/null`;
    my $dir = tempdir('ot-configtest-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    my $port = _free_port();
    my $module = catfile(top_dir(), 'build', 'mod_oauth_token.so');

    my $conf = <<"EOC";
ServerRoot "$dir"
ServerName localhost
Listen 127.0.0.1:$port
PidFile "$dir/httpd.pid"
ErrorLog "$dir/error_log"
DefaultRuntimeDir "$dir"
EOC
    for my $m (qw(mpm_event authn_core authz_core authz_host authz_user socache_shmcb)) {
        next if $compiled{"mod_$m"};
        $conf .= qq{LoadModule ${m}_module "$libexec/mod_$m.so"\n};
    }
    $conf .= qq{LoadModule oauth_token_module "$module"\n};
    $conf .= "$config_text\n";

    my $file = catfile($dir, 'httpd.conf');
    open my $fh, '>', $file or die "$file: $!";
    print $fh $conf;
    close $fh or die "$file: $!";

    my $out = `"$httpd" -t -f "$file" 2>&1`;
    my $status = $? == -1 ? 255 : ($? & 127 ? 128 + ($? & 127) : $? >> 8);
    return ($status, $out // '');
}

1;
