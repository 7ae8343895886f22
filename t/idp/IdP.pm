package OT::IdP;
# Start, drive and stop the OpenID provider fixture (t/idp/server.mjs) from Perl tests.
#
#   BEGIN { require "$FindBin::Bin/idp/IdP.pm" }      # from a t/*.t file
#   my $idp = OT::IdP->start(state => "$dir/idp");       # port => 0: any free port
#   my $at  = $idp->client_credentials_token(resource => 'https://api.test',
#                                            scope => 'orders:read');
#   $idp->reset_counts; ...; is($idp->counts->{jwks}, 1);
#   $idp->stop;
#
# Core Perl only (HTTP::Tiny, JSON::PP, MIME::Base64). Node comes from $ENV{NODE}
# (the name t/TEST.PL uses), else "node"; oidc-provider from the top-level
# node_modules (npm ci). t/idp/README.md lists clients, accounts and endpoints.
use strict;
use warnings;

use Carp qw(croak);
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(make_path);
use File::Spec::Functions qw(catfile);
use HTTP::Tiny ();
use JSON::PP ();
use MIME::Base64 qw(encode_base64);
use POSIX qw(WNOHANG _exit);
use Time::HiRes qw(sleep time);

our $DIR    = dirname(abs_path(__FILE__));
our $SERVER = catfile($DIR, 'server.mjs');
our $ROOT   = abs_path("$DIR/../..");

# Fixed fixture data (server.mjs is the authority; keep in step).
our %CLIENTS = (
    'rs-client'    => 'rs-client-secret',      # client_credentials, orders:read orders:write profile
    'rs-client-2'  => 'rs-client-2-secret',    # client_credentials, orders:read
    'introspector' => 'introspector-secret',   # introspection (basic or post)
    'web-client'   => 'web-client-secret',     # authorization_code + PKCE, refresh_token
    'web-client-2' => 'web-client-2-secret',   # the same, a second RP
);
our %ACCOUNTS = (alice => 'alice-password', bob => 'bob-password');

my $json = JSON::PP->new->canonical;

sub node { $ENV{NODE} || 'node' }

# undef when the fixture can run here, else why not (for a skip message).
sub unavailable {
    my $node = node();
    chomp(my $v = `$node --version 2>/dev/null` // '');
    return "no node ($node)" unless $v =~ /^v(\d+)\.(\d+)/;
    return "node $v is too old for oidc-provider 9 (needs >= 20.18)"
        if $1 < 20 || ($1 == 20 && $2 < 18);
    return "node_modules/oidc-provider missing (run npm ci in $ROOT)"
        unless -f "$ROOT/node_modules/oidc-provider/package.json";
    return undef;
}

# start(state => DIR, port => N (0 = any), issuer => URL, rotate => 1,
#       redirect_uris => [...], post_logout_redirect_uris => [...],
#       backchannel_logout_uri => URL, timeout => 20)
sub start {
    my ($class, %o) = @_;
    croak 'state => DIR is required' unless $o{state};
    my $self = bless { %o, port => $o{port} // 0, timeout => $o{timeout} // 20 }, $class;
    $self->_spawn;
    return $self;
}

sub _spawn {
    my ($self) = @_;
    my $state = $self->{state};
    make_path($state);
    my $ready = catfile($state, 'ready');
    my $log   = catfile($state, 'idp.log');
    unlink $ready;
    $self->{log_offset} = -s $log // 0;   # the log is appended to across restarts

    my @cmd = (node(), $SERVER, '--port', $self->{port}, '--state', $state);
    push @cmd, '--issuer', $self->{issuer} if $self->{issuer};
    push @cmd, '--rotate' if delete $self->{rotate};
    push @cmd, map { ('--redirect-uri', $_) } @{ $self->{redirect_uris} || [] };
    push @cmd, map { ('--post-logout-redirect-uri', $_) } @{ $self->{post_logout_redirect_uris} || [] };
    push @cmd, '--backchannel-logout-uri', $self->{backchannel_logout_uri}
        if $self->{backchannel_logout_uri};

    my $pid = fork;
    croak "fork: $!" unless defined $pid;
    if (!$pid) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $log or _exit(127);
        open STDERR, '>&', \*STDOUT or _exit(127);
        exec @cmd or do { print STDERR "exec $cmd[0]: $!\n"; _exit(127) };
    }
    $self->{pid}   = $pid;
    $self->{owner} = $$;
    $self->{log}   = $log;

    my $deadline = time + $self->{timeout};
    while (1) {
        if (open my $fh, '<', $ready) {
            my %r = map { /^(\w+)=(.*)$/ ? ($1, $2) : () } <$fh>;
            if ($r{pid} && $r{pid} == $pid) {
                @$self{qw(port issuer)} = @r{qw(port issuer)};
                $self->{base} = "http://127.0.0.1:$r{port}";
                last;
            }
        }
        if (waitpid($pid, WNOHANG) == $pid) {
            delete $self->{pid};
            croak "idp fixture exited (status $?) before it was ready:\n" . $self->log_text;
        }
        if (time > $deadline) {
            $self->stop;
            croak "idp fixture not ready after $self->{timeout} s:\n" . $self->log_text;
        }
        sleep 0.05;
    }
    $self->{http} = HTTP::Tiny->new(timeout => 10, keep_alive => 0, agent => 'ot-idp-helper');
    return $self;
}

sub stop {
    my ($self) = @_;
    my $pid = delete $self->{pid} or return;
    kill 'TERM', $pid;
    my $deadline = time + 10;
    while (waitpid($pid, WNOHANG) != $pid) {
        if (time > $deadline) { kill 'KILL', $pid; waitpid($pid, 0); last }
        sleep 0.05;
    }
    return 1;
}

# Stop, then start again on the same port with the same options (keys persist in
# state/keys.json; tokens, grants and sessions do not). restart(rotate => 1)
# starts with a new RS256 signing key instead of the old one.
sub restart {
    my ($self, %o) = @_;
    $self->stop;
    @$self{ keys %o } = values %o;
    return $self->_spawn;
}

sub DESTROY {
    my ($self) = @_;
    $self->stop if $self->{pid} && $self->{owner} && $self->{owner} == $$;
}

sub url     { $_[0]{issuer} }     # the issuer identifier
sub base    { $_[0]{base} }       # http://127.0.0.1:PORT (control endpoints live here)
sub port    { $_[0]{port} }
sub pid     { $_[0]{pid} }
sub state   { $_[0]{state} }
sub running { !!$_[0]{pid} }

# What the fixture printed since its last (re)start; log_text(1): the whole log.
sub log_text {
    my ($self, $all) = @_;
    open my $fh, '<', $self->{log} or return '';
    seek $fh, $self->{log_offset} // 0, 0 unless $all;
    local $/;
    return <$fh> // '';
}

sub endpoint {
    my ($self, $name) = @_;
    my %path = (
        discovery     => '/.well-known/openid-configuration',
        jwks          => '/jwks',
        token         => '/token',
        introspection => '/token/introspection',
        revocation    => '/token/revocation',
        authorization => '/auth',
        userinfo      => '/me',
        end_session   => '/session/end',
    );
    croak "unknown endpoint $name" unless $path{$name};
    return $self->{issuer} . $path{$name};
}

sub _basic {
    my ($id, $secret) = @_;
    # RFC 6749 2.3.1: form-encode, then base64 (the fixture's ids need no encoding)
    return 'Basic ' . encode_base64("$id:$secret", '');
}

sub _post_form {
    my ($self, $url, $form, %h) = @_;
    return $self->{http}->post_form($url, $form, { headers => \%h });
}

sub _decode {
    my ($res, $what) = @_;
    my $body = eval { $json->decode($res->{content}) };
    croak "$what: HTTP $res->{status} $res->{reason}: $res->{content}"
        unless $res->{success} && ref $body;
    return $body;
}

# The token endpoint's JSON answer for a client_credentials grant.
# token_response(resource => URL|undef, scope => '...', client => ID, secret => S)
sub token_response {
    my ($self, %o) = @_;
    my $client = $o{client} // 'rs-client';
    my $secret = $o{secret} // $CLIENTS{$client};
    my @form = (grant_type => 'client_credentials');
    push @form, resource => $o{resource} if defined $o{resource};
    push @form, scope    => $o{scope}    if defined $o{scope};
    my $res = $self->_post_form($self->endpoint('token'), \@form,
        Authorization => _basic($client, $secret));
    return _decode($res, 'token endpoint');
}

sub client_credentials_token {
    my ($self, %o) = @_;
    return $self->token_response(%o)->{access_token};
}

# RFC 7662 answer as a hash (counts as an introspection request).
sub introspect {
    my ($self, $token, %o) = @_;
    my $client = $o{client} // 'introspector';
    my $res = $self->_post_form($self->endpoint('introspection'), [token => $token],
        Authorization => _basic($client, $o{secret} // $CLIENTS{$client}));
    return _decode($res, 'introspection endpoint');
}

# RFC 7009: true when the provider accepted (any known client may revoke here).
sub revoke {
    my ($self, $token, %o) = @_;
    my $client = $o{client} // 'rs-client';
    my $res = $self->_post_form($self->endpoint('revocation'), [token => $token],
        Authorization => _basic($client, $o{secret} // $CLIENTS{$client}));
    croak "revocation endpoint: HTTP $res->{status}: $res->{content}" unless $res->{success};
    return 1;
}

sub _control {
    my ($self, $method, $op, %q) = @_;
    my $url = "$self->{base}/_test/$op";
    my $qs = $self->{http}->www_form_urlencode(\%q);
    $url .= "?$qs" if length $qs;
    my $res = $self->{http}->request($method, $url);
    return _decode($res, "control $op");
}

sub counts       { $_[0]->_control(GET  => 'counts') }
sub reset_counts { $_[0]->_control(POST => 'reset-counts'); 1 }
sub config       { my ($s, %kv) = @_; $s->_control((%kv ? 'POST' : 'GET') => 'config', %kv) }
sub logins       { $_[0]->_control(GET  => 'logins') }

# New signing key (RS256 unless alg => 'ES256'); the old one leaves the JWKS unless
# keep_old => 1. Returns the new kid.
sub rotate {
    my ($self, %o) = @_;
    my %q;
    $q{alg} = $o{alg} if $o{alg};
    $q{keep_old} = 1 if $o{keep_old};
    return $self->_control(POST => 'rotate', %q)->{kid};
}

# fail('jwks'), fail('jwks,introspection', status => 503, delay_ms => 3000), fail('none')
sub fail {
    my ($self, $mode, %o) = @_;
    return $self->_control(POST => 'fail', mode => $mode // 'none', %o);
}

# The public JWKS as served, read without counting a jwks request.
sub jwks { $_[0]->_control(GET => 'keys') }
sub kids { map { $_->{kid} } @{ $_[0]->jwks->{keys} } }

# Signing kids: the first key of each alg signs.
sub signing_kid {
    my ($self, $alg) = @_;
    $alg //= 'RS256';
    for my $k (@{ $self->jwks->{keys} }) { return $k->{kid} if $k->{alg} eq $alg }
    return undef;
}

# The token endpoint's successful answers (newest last, up to 50): what a
# relying party got, to compare with what it passes on.
sub token_responses { @{ $_[0]->_control(GET => 'token-responses') } }

# The next token answer that has an id_token gets it re-signed (same kid) with
# these claim changes (undef removes a claim), and/or a broken signature:
#   tamper_id_token(claims => { nonce => 'other' });
#   tamper_id_token(claims => { aud => 'web-client-2', azp => 'web-client-2' });
#   tamper_id_token(signature => 'bad');   tamper_id_token(off => 1);
sub tamper_id_token {
    my ($self, %o) = @_;
    my %q = (claims => $json->encode($o{claims} || {}));
    $q{signature} = $o{signature} if $o{signature};
    $q{off} = 1 if $o{off};
    return $self->_control(POST => 'tamper-id-token', %q);
}

sub backchannel_logout {
    my ($self, %o) = @_;
    return $self->_control(POST => 'backchannel-logout', %o);
}

# Browserless walk through the provider: follow a URL (an authorization request
# such as the Location the module answered with, or an end_session request) with
# the provider's redirects, signing in on the login form and confirming the
# logout page (or submitting its auto-submit pages), and return the first URL
# outside the provider: the relying party's callback (code/state/iss, or error)
# or post-logout redirect. The provider's cookies live in $self (or in jar => {}
# given by the caller), so a second authorize() reuses the provider session.
#   authorize($url, login => 'bob', password => ..., stay => 1 (answer "no" to logout))
sub authorize {
    my ($self, $url, %o) = @_;
    my $login    = $o{login} // 'alice';
    my $password = $o{password} // $ACCOUNTS{$login} // '';
    my $jar      = $o{jar} // ($self->{jar} ||= {});
    my $ua       = HTTP::Tiny->new(max_redirect => 0, timeout => 10, agent => 'ot-idp-helper');
    my $base     = $self->{base};
    my $abs = sub { my ($u) = @_; $u =~ s/&amp;/&/g; $u =~ m{^/} ? "$base$u" : $u };
    my $hdr = sub { { headers => { Cookie => join('; ', map { "$_=$jar->{$_}" } sort keys %$jar) } } };
    my $keep = sub {
        my ($res) = @_;
        my $sc = $res->{headers}{'set-cookie'} // [];
        for my $c (ref $sc ? @$sc : $sc) {
            my ($name, $value) = $c =~ /^\s*([^=;\s]+)=([^;]*)/ or next;
            if ($value eq '' || $c =~ /expires=Thu, 01 Jan 1970/i) { delete $jar->{$name} }
            else { $jar->{$name} = $value }
        }
        return $res;
    };
    my $hidden = sub {
        my ($html) = @_;
        my %f;
        $f{$1} = $2 while $html =~ /<input type="hidden" name="([^"]+)" value="([^"]*)"/g;
        return %f;
    };
    for (1 .. 20) {
        return $url unless index($url, "$base/") == 0;
        my $res = $keep->($ua->get($url, $hdr->()));
        my ($action, %form);
        if ($res->{status} =~ /^30[1237]$/) {
            $url = $abs->($res->{headers}{location});
            next;
        } elsif ($res->{status} != 200) {
            croak "unexpected answer from $url: $res->{status} $res->{content}";
        } elsif ($res->{content} =~ /<form id="login-form"[^>]*action="([^"]+)"/) {
            ($action, %form) = ($1, login => $login, password => $password);
        } elsif ($res->{content} =~ /<form id="op\.logoutForm"[^>]*action="([^"]+)"/) {
            ($action, %form) = ($1, $hidden->($res->{content}), $o{stay} ? () : (logout => 'yes'));
        } elsif ($res->{content} =~ /<form method="post" action="([^"]+)"/) {   # auto-submit page
            ($action, %form) = ($1, $hidden->($res->{content}));
        } else {
            croak "unexpected page at $url: $res->{content}";
        }
        $action = $abs->($action);
        croak "form posts outside the provider ($action): not supported" unless index($action, "$base/") == 0;
        $res = $keep->($ua->post_form($action, \%form, $hdr->()));
        croak "login as $login refused" if $res->{status} == 200 && $res->{content} =~ /id="error"/;
        croak "form at $url answered $res->{status}: $res->{content}" unless $res->{status} =~ /^30[1237]$/;
        $url = $abs->($res->{headers}{location});
    }
    croak 'too many redirects at the provider';
}

1;
