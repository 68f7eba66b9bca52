#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The documentation keeps up with the program: every long option of --help is
# in the man page and the three completion files, the man page renders
# cleanly, and each completion file loads (and completes) in its shell.
# Needs PCOPY (the binary) and TESTS_DIR (the tests/ directory).

bats_require_minimum_version 1.5.0

setup() {
	: "${PCOPY:?set PCOPY to the pcopy binary}"
	REPO=$(cd "${TESTS_DIR:-$BATS_TEST_DIRNAME/..}/.." && pwd)
	MAN=$REPO/man/pcopy.1
	BASH_COMP=$REPO/completions/pcopy.bash
	ZSH_COMP=$REPO/completions/_pcopy
	FISH_COMP=$REPO/completions/pcopy.fish
}

# The long options that --help prints, one per line, without the dashes.
help_long_options() {
	"$PCOPY" --help | grep -oE -- '--[a-z][a-z0-9-]*' | sed 's/^--//' | sort -u
}

# The long options of --help that are not among the words on stdin (each an
# option as a completion offers it: "--jobs" or "--jobs=").
missing_options() {
	local offered opt missing=
	offered=" $(sed 's/=$//' | tr '\n' ' ') "
	for opt in $(help_long_options); do
		[[ $offered == *" --$opt "* ]] || missing+=" --$opt"
	done
	echo "$missing"
}

# The man page as plain text, without hyphenation or overstriking.
man_text() {
	groff -man -Tascii -P-cbou "$MAN"
}

# Skip the test when the program $1 is missing.
require() {
	command -v "$1" >/dev/null || skip "$1 is not installed"
}

@test "--help prints the long options this test looks for" {
	run help_long_options
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -ge 25 ]
	[[ " ${lines[*]} " == *" archive "* ]]
	[[ " ${lines[*]} " == *" chunk-size "* ]]
}

@test "every long option of --help is in the man page" {
	require groff
	local text opt missing=
	text=$(man_text)
	for opt in $(help_long_options); do
		grep -qE -- "--$opt([^a-z-]|\$)" <<<"$text" || missing+=" --$opt"
	done
	echo "missing from man/pcopy.1:$missing"
	[ -z "$missing" ]
}

@test "every long option of --help is in the zsh completion" {
	local opt missing=
	for opt in $(help_long_options); do
		grep -qE -- "--$opt([^a-z-]|\$)" "$ZSH_COMP" || missing+=" --$opt"
	done
	echo "missing from completions/_pcopy:$missing"
	[ -z "$missing" ]
}

@test "the man page renders with groff without a warning" {
	require groff
	run --separate-stderr groff -man -Tutf8 -ww "$MAN"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ -n "$output" ]
}

@test "the man page renders with man -l" {
	require man
	run --separate-stderr env MANPAGER=cat MANWIDTH=80 man -l "$MAN"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[[ "$output" == *"pcopy - copy files and directory trees in parallel"* ]]
}

@test "the man page documents every exit status and backend" {
	require groff
	local text word
	text=$(man_text)
	for word in 0 1 2 130 143 thread process uring auto mpi; do
		echo "looking for $word"
		grep -qE "^ {7}$word( |\$)" <<<"$text"
	done
}

# The paragraph of the man page under the heading NAME (an option or a backend).
man_paragraph() {
	man_text | awk -v name="$1" '
		found && /^       [^ ]/ { exit }
		found { print }
		!found && index($0, "       " name) == 1 { found = 1; print }' | tr -s ' \n' '  '
}

@test "the man page marks exactly the refused features as not supported yet" {
	require groff
	cd "$BATS_TEST_TMPDIR"
	local feature heading refused documented wrong=
	for feature in --exclude=x --dry-run --verify --fsync --backend=process \
		--backend=uring --backend=mpi; do
		case $feature in
		--backend=*) heading=${feature#--backend=} ;;
		*) heading=${feature%=*} ;;
		esac
		refused=no documented=no
		"$PCOPY" "$feature" no-such-source dst 2>&1 | grep -q 'not supported yet' && refused=yes
		man_paragraph "$heading" | grep -qi 'not supported yet' && documented=yes
		echo "$feature: refused=$refused, documented as not supported=$documented"
		[ "$refused" = "$documented" ] || wrong+=" $feature"
	done
	[ -z "$wrong" ]
}

@test "the bash completion loads without error" {
	run --separate-stderr bash -c 'set -e; source "$1"; complete -p pcopy' _ "$BASH_COMP"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[[ "$output" == *"-F _pcopy"* ]]
}

# bash_complete LINE: the words bash completion offers at the end of LINE.
bash_complete() {
	bash -c '
		source /usr/share/bash-completion/bash_completion
		source "$1"
		compopt() { :; } # only works inside a real completion
		COMP_LINE=$2 COMP_POINT=${#2}
		# Split as readline does: "=" is a word of its own.
		read -ra COMP_WORDS <<<"${2//=/ = }"
		[[ $2 == *[\ =] ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_pcopy pcopy "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$BASH_COMP" "$1"
}

@test "the bash completion offers the values of --backend, --progress and --preserve" {
	[ -r /usr/share/bash-completion/bash_completion ] || skip "bash-completion is not installed"
	run bash_complete "pcopy --backend="
	[ "$(echo $output)" = "auto mpi process thread uring" ]
	run bash_complete "pcopy -B t"
	[ "$output" = thread ]
	run bash_complete "pcopy --progress="
	[ "$(echo $output)" = "bar json none plain" ]
	run bash_complete "pcopy --preserve=mode,t"
	[ "$output" = "mode,timestamps" ]
	run bash_complete "pcopy --summ"
	[ "$(echo $output)" = "--summary --summary=" ]
}

@test "the bash completion offers only directories after -t" {
	[ -r /usr/share/bash-completion/bash_completion ] || skip "bash-completion is not installed"
	cd "$BATS_TEST_TMPDIR"
	mkdir subdir
	touch file
	run bash_complete "pcopy -t "
	[ "$output" = subdir ]
	run bash_complete "pcopy a "
	[ "$(echo $output)" = "file subdir" ]
}

@test "the bash completion offers every long option of --help" {
	[ -r /usr/share/bash-completion/bash_completion ] || skip "bash-completion is not installed"
	local missing
	missing=$(bash_complete "pcopy --" | missing_options)
	echo "not offered by completions/pcopy.bash:$missing"
	[ -z "$missing" ]
}

@test "the zsh completion parses and compinit picks it up for pcopy" {
	require zsh
	run zsh -n "$ZSH_COMP"
	[ "$status" -eq 0 ]
	run --separate-stderr zsh -c 'fpath=("$1" $fpath); autoload -U compinit
		compinit -u -d "$2/zcompdump"; print -r -- $_comps[pcopy]' \
		_ "$REPO/completions" "$BATS_TEST_TMPDIR"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = _pcopy ]
}

@test "the fish completion loads without error" {
	require fish
	run --separate-stderr fish -c 'source $argv[1]' "$FISH_COMP"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
}

@test "the fish completion offers every long option of --help" {
	require fish
	local missing
	missing=$(fish -c 'source $argv[1]; complete -C "pcopy --" | cut -f1' "$FISH_COMP" |
		missing_options)
	echo "not offered by completions/pcopy.fish:$missing"
	[ -z "$missing" ]
}

@test "the fish completion offers the values of --backend and --preserve" {
	require fish
	run fish -c 'source $argv[1]; complete -C "pcopy --backend=" | cut -f1' "$FISH_COMP"
	[ "$(echo $output)" = "--backend=auto --backend=mpi --backend=process --backend=thread --backend=uring" ]
	run fish -c 'source $argv[1]; complete -C "pcopy --preserve=mode,x" | cut -f1' "$FISH_COMP"
	[ "$output" = "--preserve=mode,xattr" ]
}

# The set-up (issue 14): every tool the suites call is a required program of
# tests/meson.build (a missing one fails `meson setup`, it does not pass as
# skipped tests), and .ci/deps installs its Debian package.
@test "the test tools are required by tests/meson.build and installed by .ci/deps" {
	local deps build pair tool pkg missing=
	deps=$(sed 's/#.*//' "$REPO/.ci/deps")
	build=$(cat "$REPO/tests/meson.build")
	for pair in bats:bats mtree:mtree-netbsd getfattr:attr setfattr:attr \
		getfacl:acl setfacl:acl strace:strace python3:python3 \
		/usr/bin/time:time; do
		tool=${pair%%:*}
		pkg=${pair#*:}
		grep -qwF -- "$pkg" <<<"$deps" || missing+=" $pkg(.ci/deps)"
		grep -qE "find_program\('$tool', required : true\)|'$tool'" <<<"$build" ||
			missing+=" $tool(meson.build)"
	done
	grep -q "find_program('bats', required : true)" <<<"$build" || missing+=" bats-required"
	echo "missing:$missing"
	[ -z "$missing" ]
}
