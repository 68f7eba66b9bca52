# SPDX-License-Identifier: MIT
# bash completion for pcopy(1): every option, the values of the options that
# take keywords, directories after -t, files elsewhere. Needs bash-completion.

_pcopy()
{
	local cur prev words cword split
	_init_completion -s || return

	local attrs='mode ownership timestamps links context xattr all'
	case $prev in
	-B | --backend)
		COMPREPLY=($(compgen -W 'auto thread process uring mpi' -- "$cur"))
		return
		;;
	--sparse)
		COMPREPLY=($(compgen -W 'auto always never' -- "$cur"))
		return
		;;
	-t | --target-directory)
		_filedir -d
		return
		;;
	--no-preserve)
		_pcopy_list "$attrs"
		return
		;;
	--link-dest | --backup-dir)
		_filedir -d
		return
		;;
	--include-from | --exclude-from | --files-from)
		_filedir
		return
		;;
	-j | --jobs | --queue-depth | --chunk-size | --exclude | --modify-window | --include | --bwlimit | -S | --suffix)
		return # a number, a size or a pattern: nothing to offer
		;;
	esac
	# Optional values are only ever given as --option=VALUE.
	if $split; then
		case $prev in
		--reflink) COMPREPLY=($(compgen -W 'auto always never' -- "$cur")) ;;
		--progress) COMPREPLY=($(compgen -W 'bar plain json none' -- "$cur")) ;;
		--summary) COMPREPLY=($(compgen -W 'text json' -- "$cur")) ;;
		--update) COMPREPLY=($(compgen -W 'all none older' -- "$cur")) ;;
		--backup) COMPREPLY=($(compgen -W 'none off numbered t existing nil simple never' -- "$cur")) ;;
		--preserve) _pcopy_list "$attrs" ;;
		esac
		return
	fi

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W '
			-a --archive -p -d -f --force --preserve --preserve= --no-preserve=
			-P --no-dereference -L --dereference -H -n --no-clobber -u --update
			--update= -i --interactive -b --backup --backup= -S --suffix=
			--remove-destination -l --link -s --symbolic-link --attributes-only
			--copy-contents --parents --strip-trailing-slashes
			--keep-directory-symlink -Z --context --context= --debug
			-x --one-file-system -t --target-directory= -T --no-target-directory
			-r -R --recursive --reflink --reflink= --sparse= --exclude=
			-v --verbose -q --quiet --dry-run --verify --fsync
			--delete --delete-excluded --link-dest= --backup-dir= -c --checksum --size-only
			--modify-window= --include= --include-from= --exclude-from=
			--files-from= -0 --from0 --bwlimit= --itemize-changes --itemize
			-B --backend= -j --jobs= --queue-depth= --chunk-size= --no-resume
			--progress --progress= --summary --summary=
			--help --usage -V --version' -- "$cur"))
		[[ ${COMPREPLY-} == *= ]] && compopt -o nospace
		return
	fi
	_filedir
}

# Complete the last item of a comma-separated list of the words in $1 (the
# word being completed is the caller's $cur).
_pcopy_list()
{
	local prefix=
	[[ $cur == *,* ]] && prefix=${cur%,*},
	COMPREPLY=($(compgen -P "$prefix" -W "$1" -- "${cur##*,}"))
	compopt -o nospace
}

complete -F _pcopy pcopy
