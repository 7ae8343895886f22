# The sample configurations in conf/ pass `httpd -t` with the module loaded (paths pointed at test keys).
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test qw(-withtestmore);
use File::Spec::Functions qw(catfile);
use OT::Test;

my $conf_dir = catfile(top_dir(), 'conf');
my @samples = sort glob catfile($conf_dir, '*.conf');

plan tests => 2 * @samples + 1;

ok(scalar @samples, 'conf/ holds sample configurations');

for my $sample (@samples) {
    open my $fh, '<', $sample or die "$sample: $!";
    my $text = do { local $/; <$fh> };
    close $fh;

    # The harness loads the module itself; keys and logs go where the test has them.
    $text =~ s/^\s*LoadModule\s+oauth_token_module\s.*$//mg;
    $text =~ s{file:\S+}{'file:' . catfile(keys_dir(), 'jwks.json')}ge;
    $text =~ s/\$\{APACHE_LOG_DIR\}/\/tmp/g;

    my ($status, $output) = httpd_config_test($text);
    is($status, 0, "$sample passes httpd -t") or diag $output;
    like($output, qr/Syntax OK/, "$sample: httpd says Syntax OK");
}
