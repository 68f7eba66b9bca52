#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The command line: --help, --usage and --version; usage errors (exit 2, the
# --help hint, nothing written); features refused until they land.
# Needs PCOPY, the pcopy binary under test.

bats_require_minimum_version 1.5.0

setup() {
	: "${PCOPY:?set PCOPY to the pcopy binary}"
	# A directory of its own: bats keeps files of its own in BATS_TEST_TMPDIR.
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
	mkdir src dir
	echo hello >src/file
	echo data >file
}

# Everything in the working directory with its size and mtime.
tree_state() {
	find . -printf '%p %y %s %T@\n' | sort
}

# usage_error MESSAGE ARG...: pcopy ARG... must exit 2 with "pcopy: MESSAGE"
# and the --help hint on stderr, print nothing on stdout, and write nothing.
usage_error() {
	local message=$1 before
	shift
	before=$(tree_state)
	run --separate-stderr "$PCOPY" "$@"
	echo "stderr: $stderr"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"pcopy: $message"* ]]
	[[ "$stderr" == *"Try 'pcopy --help' for more information."* ]]
	[ -z "$output" ]
	[ "$(tree_state)" = "$before" ]
}

# refused FEATURE ARG...: pcopy ARG... must exit 2 saying FEATURE is "not
# supported yet", and write nothing.
refused() {
	local feature=$1 before
	shift
	before=$(tree_state)
	run --separate-stderr "$PCOPY" "$@"
	echo "stderr: $stderr"
	[ "$status" -eq 2 ]
	[ "$stderr" = "pcopy: $feature: not supported yet" ]
	[ -z "$output" ]
	[ "$(tree_state)" = "$before" ]
}

@test "--help lists every long option and exits 0" {
	run --separate-stderr "$PCOPY" --help
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[[ "$output" == "Usage: pcopy [OPTION...] SOURCE DEST"* ]]
	local opt
	for opt in archive force preserve no-preserve no-dereference dereference \
		no-clobber update one-file-system target-directory \
		no-target-directory recursive reflink sparse exclude verbose quiet \
		dry-run verify fsync backend jobs queue-depth chunk-size progress \
		summary help usage version; do
		echo "looking for --$opt"
		[[ "$output" == *"--$opt"* ]]
	done
}

@test "--help lists every short option" {
	run "$PCOPY" --help
	[ "$status" -eq 0 ]
	local opt
	for opt in a p d f P L H n u x t T v q B j r R; do
		echo "looking for -$opt"
		[[ "$output" == *"-$opt"[,\ ]* ]]
	done
}

@test "--version prints the name and version and exits 0" {
	run --separate-stderr "$PCOPY" --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^pcopy\ [0-9]+\.[0-9]+\.[0-9]+ ]]
	[ -z "$stderr" ]
}

@test "--usage prints a short usage and exits 0" {
	run "$PCOPY" --usage
	[ "$status" -eq 0 ]
	[[ "$output" == "Usage: pcopy "*"[--chunk-size=SIZE]"* ]]
}

@test "no operand is a usage error: missing file operand" {
	usage_error "missing file operand"
}

@test "options without an operand are a usage error" {
	usage_error "missing file operand" -a -v
}

@test "one operand is a usage error: missing destination operand" {
	usage_error "missing destination file operand after 'src'" src
}

@test "-t without a source is a usage error" {
	usage_error "missing file operand" -t dir
}

@test "an unknown long option is a usage error" {
	usage_error "unrecognized option '--frobnicate'" --frobnicate src dst
}

@test "an unknown short option is a usage error" {
	usage_error "invalid option -- 'W'" -W src dst
}

@test "an option missing its argument is a usage error" {
	usage_error "option requires an argument -- 'j'" src dst -j
}

@test "several sources onto a regular file is a usage error" {
	usage_error "target 'file' is not a directory" src file file
}

@test "several sources onto a missing destination is a usage error and creates nothing" {
	usage_error "target 'nowhere' is not a directory" src file nowhere
	[ ! -e nowhere ]
}

@test "-t onto a regular file is a usage error" {
	usage_error "target 'file' is not a directory" -t file src
}

@test "-t onto a missing directory is a usage error" {
	usage_error "target 'nowhere' is not a directory" -t nowhere src
}

@test "-t with -T is a usage error" {
	usage_error "cannot combine --target-directory (-t) and --no-target-directory (-T)" \
		-t dir -T src
}

@test "-T with three operands is a usage error: extra operand" {
	usage_error "extra operand 'dir'" -T src file dir
}

@test "two -t options are a usage error" {
	usage_error "multiple target directories specified" -t dir -t dir src
}

@test "-j 0 is a usage error" {
	usage_error "invalid argument '0' for '--jobs'; allowed: 1 to 1024" -j 0 src dst
}

@test "-j 1025 is a usage error" {
	usage_error "invalid argument '1025' for '--jobs'; allowed: 1 to 1024" -j 1025 src dst
}

@test "a -j that is not a number is a usage error" {
	usage_error "invalid argument 'many' for '--jobs'" --jobs=many src dst
}

@test "--queue-depth=0 is a usage error" {
	usage_error "invalid argument '0' for '--queue-depth'; allowed: 1 to 4096" \
		--queue-depth=0 src dst
}

@test "--queue-depth=4097 is a usage error" {
	usage_error "invalid argument '4097' for '--queue-depth'" --queue-depth=4097 src dst
}

@test "--chunk-size=1K is a usage error" {
	usage_error "invalid argument '1K' for '--chunk-size'; allowed: 64K to 1T" \
		--chunk-size=1K src dst
}

@test "--chunk-size=2T is a usage error" {
	usage_error "invalid argument '2T' for '--chunk-size'; allowed: 64K to 1T" \
		--chunk-size=2T src dst
}

@test "a --chunk-size with an unknown suffix is a usage error" {
	usage_error "invalid argument '64KB' for '--chunk-size'" --chunk-size=64KB src dst
}

# bad_word MESSAGE VALID ARG...: like usage_error, with cp's (argmatch's)
# "Valid arguments are:" list, VALID being its lines joined by '|'.
bad_word() {
	local message=$1 valid=$2
	shift 2
	usage_error "$message" "$@"
	local expected
	expected=$(printf 'Valid arguments are:\n  - %s\n' "${valid//|/$'\n'  - }")
	[[ "$stderr" == *"$expected"* ]]
}

@test "a bad --backend is a usage error listing the backends" {
	bad_word "invalid argument 'fast' for '--backend'" \
		"'auto'|'thread'|'process'|'uring'|'mpi'" --backend=fast src dst
}

@test "a bad --reflink is a usage error listing the choices" {
	bad_word "invalid argument 'sometimes' for '--reflink'" "'auto'|'always'|'never'" \
		--reflink=sometimes src dst
}

@test "a bad --sparse is a usage error listing the choices, in cp's order" {
	bad_word "invalid argument 'maybe' for '--sparse'" "'never'|'auto'|'always'" \
		--sparse=maybe src dst
}

@test "a bad --progress is a usage error listing the choices" {
	bad_word "invalid argument 'fancy' for '--progress'" "'bar'|'plain'|'json'|'none'" \
		--progress=fancy src dst
}

@test "a bad --summary is a usage error listing the choices" {
	bad_word "invalid argument 'xml' for '--summary'" "'text'|'json'" --summary=xml src dst
}

@test "a bad --preserve attribute is a usage error listing the attributes" {
	bad_word "invalid argument 'acl' for '--preserve'" \
		"'mode'|'timestamps'|'ownership'|'links'|'context'|'xattr'|'all'" \
		--preserve=mode,acl src dst
}

@test "a bad --backup is a usage error listing the version controls, synonyms together" {
	bad_word "invalid argument 'xx' for 'backup type'" \
		"'none', 'off'|'simple', 'never'|'existing', 'nil'|'numbered', 't'" \
		--backup=xx src dst
}

@test "a bad VERSION_CONTROL is a usage error" {
	VERSION_CONTROL=xx bad_word "invalid argument 'xx' for '\$VERSION_CONTROL'" \
		"'none', 'off'|'simple', 'never'|'existing', 'nil'|'numbered', 't'" -b src dst
}

@test "ambiguous abbreviations are usage errors: cp's message and list" {
	bad_word "ambiguous argument 'a' for '--sparse'" "'never'|'auto'|'always'" \
		--sparse=a src dst
	bad_word "ambiguous argument 'n' for 'backup type'" \
		"'none', 'off'|'simple', 'never'|'existing', 'nil'|'numbered', 't'" \
		--backup=n src dst
	bad_word "ambiguous argument '' for '--preserve'" \
		"'mode'|'timestamps'|'ownership'|'links'|'context'|'xattr'|'all'" \
		--preserve= src dst
}

@test "abbreviations of every enumerated argument are accepted, as GNU argmatch does" {
	local args
	for args in --preserve=link,mo,ti,own,x --no-preserve=l --sparse=al --sparse=n \
		--reflink=au --backup=num --backup=t --backup=ni --backup=ne --update=o \
		--update=al --update=no --progress=p -Bth --backend=proc --summary=j; do
		rm -rf dst
		run --separate-stderr "$PCOPY" $args src dst
		echo "$args: $stderr"
		[ "$status" -eq 0 ]
		[ -f dst/file ]
	done
}

@test "the option conflicts GNU's tests check exit 1, as cp" {
	local args
	for args in "-bn" "-nb" "--backup=t --no-clobber" "-ls" \
		"--reflink --sparse=always" "--reflink --sparse=never"; do
		run --separate-stderr cp $args src dst
		local cp_status=$status cp_stderr=$stderr
		run --separate-stderr "$PCOPY" $args src dst
		echo "$args: $stderr / cp: $cp_stderr"
		[ "$status" -eq 1 ] && [ "$cp_status" -eq 1 ]
		[ "${stderr#pcopy: }" = "${cp_stderr#cp: }" ] ||
			[ "${stderr//pcopy/cp}" = "$cp_stderr" ]
		[ ! -e dst ]
	done
}

@test "-Z, --context and --preserve=context as cp without SELinux" {
	[ ! -e /sys/fs/selinux/enforce ] || skip "SELinux is enabled"
	local args
	for args in "-Z" "--context" "--context=user_u:role_r:type_t" "--preserve=context" \
		"-a --preserve=context" "-Z --preserve=context" "-a" "--preserve=all" \
		"--no-preserve=context"; do
		rm -rf dst dst_cp
		run --separate-stderr cp -R $args src dst_cp
		local cp_status=$status cp_stderr=$stderr
		run --separate-stderr "$PCOPY" $args src dst
		echo "$args: $status $stderr / cp: $cp_status $cp_stderr"
		[ "$status" -eq "$cp_status" ]
		[ "${stderr//pcopy/cp}" = "$cp_stderr" ]
		[ "$([ -e dst ] && echo made)" = "$([ -e dst_cp ] && echo made)" ]
	done
}

@test "a bad --no-preserve attribute is a usage error" {
	usage_error "invalid argument 'acl' for '--no-preserve'" --no-preserve=acl src dst
}

@test "--backend=mpi in a build without MPI: exit 2, a clear message, nothing written" {
	# -L: refused either way, so that a build with MPI copies nothing here.
	if ! "$PCOPY" -B mpi -L src dst 2>&1 | grep -q 'built without MPI'; then
		skip "this build has the mpi backend (tests/cli/mpi.bats)"
	fi
	local before
	before=$(tree_state)
	run --separate-stderr "$PCOPY" --backend=mpi src dst
	[ "$status" -eq 2 ]
	[ "$stderr" = "pcopy: --backend=mpi: this pcopy was built without MPI (meson setup -Dmpi=enabled)" ]
	[ "$(tree_state)" = "$before" ]
}

@test "--backend=mpi refuses what it does not support yet: -L, --dry-run" {
	if "$PCOPY" -B mpi -L src dst 2>&1 | grep -q 'built without MPI'; then
		skip "this build has no mpi backend"
	fi
	refused "-L with --backend=mpi" --backend=mpi -L src dst
	refused "--dry-run with --backend=mpi" --backend=mpi --dry-run src dst
}

@test "-r, -R and --recursive are accepted and ignored" {
	run "$PCOPY" -r src dst1
	[ "$status" -eq 0 ]
	run "$PCOPY" -R src dst2
	[ "$status" -eq 0 ]
	run "$PCOPY" --recursive src dst3
	[ "$status" -eq 0 ]
	cmp src/file dst1/file
	cmp src/file dst2/file
	cmp src/file dst3/file
}

@test "-q wins over -v: nothing is printed" {
	run --separate-stderr "$PCOPY" -q -v src dst
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
	cmp src/file dst/file
}

@test "-n with -u is accepted" {
	run "$PCOPY" -n -u src dst
	[ "$status" -eq 0 ]
	cmp src/file dst/file
}

@test "options may follow the operands" {
	run "$PCOPY" src file -t dir
	[ "$status" -eq 0 ]
	cmp src/file dir/src/file
	cmp file dir/file
}

@test "abbreviations of cp's long options mean cp's option, even where pcopy's make them ambiguous" {
	local args
	# --b: --backup (and --backend); --f: --force (and --fsync); --u: --update
	# (and --usage); --pr: --preserve (and --progress); --su: --suffix (and --summary).
	for args in --b=simple --ba --f --u --pr=mode --su=.x --backe=thread; do
		rm -rf dst
		run --separate-stderr "$PCOPY" $args src dst
		echo "$args: $stderr"
		[ "$status" -eq 0 ]
		[ -f dst/file ]
	done
}

@test "messages start with the name pcopy was invoked by (cp when it stands in for cp)" {
	run bash -c 'exec -a cp "$PCOPY" --bogus 2>&1'
	[ "$status" -eq 2 ] || { echo "status $status"; return 1; }
	[ "${lines[0]}" = "cp: unrecognized option '--bogus'" ] || { echo "$output"; return 1; }
	[ "${lines[1]}" = "Try 'cp --help' for more information." ] || { echo "$output"; return 1; }
	run bash -c 'exec -a cp "$PCOPY" /nonexistent/x y 2>&1'
	[ "$output" = "cp: /nonexistent/x: No such file or directory" ] || { echo "$output"; return 1; }
}
