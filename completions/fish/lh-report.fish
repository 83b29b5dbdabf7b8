function __lh-report_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __lh-report_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __lh-report_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __lh-report_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __lh-report_parse_tokens -S
    set -l unparsed_tokens (__lh-report_tokens -pc)
    switch $unparsed_tokens[1]
    case 'lh-report'
        __lh-report_parse_subcommand -r 1 'lake=' 'from=' 'to=' 'as-of=' 'input=' 'follow' 'format=' 'width=' 'ascii' 'raw-csv' 'q/quiet' 'v/verbose' 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'status'
            __lh-report_parse_subcommand 0 'lake=' 'check' 'max-lag=' 'max-age=' 'deep' 'format=' 'width=' 'ascii' 'raw-csv' 'q/quiet' 'v/verbose' 'version' 'h/help'
        case 'help'
            __lh-report_parse_subcommand -r 1 'version'
        end
    end
end

function __lh-report_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __lh-report_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __lh-report_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __lh-report_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__lh-report_tokens -p)
    if test -z "$(__lh-report_tokens -t)"
        set -l index (count (__lh-report_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'lh-report' -f
complete -c 'lh-report' -n '__lh-report_should_offer_completions_for_flags_or_options "lh-report" lake' -l 'lake' -d 'The lake directory (default: $LH_LAKE, else ./lake).' -rfa '(__lh-report_complete_directories)'
complete -c 'lh-report' -n '__lh-report_should_offer_completions_for_flags_or_options "lh-report" from' -l 'from' -d 'Rows from this date on (YYYY-MM-DD).' -rfka ''
complete -c 'lh-report' -n '__lh-report_should_offer_completions_for_flags_or_options "lh-report" to' -l 'to' -d 'Rows up to this date (YYYY-MM-DD).' -rfka ''
complete -c 'lh-report' -n '__lh-report_should_offer_completions_for_flags_or_options "lh-report" as-of' -l 'as-of' -d 'Read tables as of this version or time (RFC 3339 or YYYY-MM-DD; a time before a table\'s first commit or after its latest is an error).' -rfka ''
complete -c 'lh-report' -n '__lh-report_should_offer_completions_for_flags_or_options "lh-report" input' -l 'input' -d 'Read rows from this file (NDJSON or Parquet; - for stdin) instead of the lake.' -rF
complete -c 'lh-report' -n '__lh-report_should_offer_completions_for_flags_or_options "lh-report" follow' -l 'follow' -d 'Follow lh-gold --stream\'s windows on stdin and redraw a live view.'
complete -c 'lh-report' -n '__lh-report_should_offer_completions_for_flags_or_options "lh-report" format' -l 'format' -d 'Output format (default: text on a terminal, else ndjson).' -rfka 'text csv ndjson markdown html'
complete -c 'lh-report' -n '__lh-report_should_offer_completions_for_flags_or_options "lh-report" width' -l 'width' -d 'Columns to draw in (default: the terminal\'s, else 80).' -rfka ''
complete -c 'lh-report' -n '__lh-report_should_offer_completions_for_flags_or_options "lh-report" ascii' -l 'ascii' -d 'Draw with ASCII characters only (also when the locale is not UTF-8).'
complete -c 'lh-report' -n '__lh-report_should_offer_completions_for_flags_or_options "lh-report" raw-csv' -l 'raw-csv' -d 'CSV cells exactly as in the data (by default a text cell starting with =, +, -, @, tab or CR gets a leading \' so that spreadsheets do not run it as a formula).'
complete -c 'lh-report' -n '__lh-report_should_offer_completions_for_flags_or_options "lh-report" q quiet' -l 'quiet' -s 'q' -d 'Print nothing on stderr but errors (no summary, no progress).'
complete -c 'lh-report' -n '__lh-report_should_offer_completions_for_flags_or_options "lh-report" v verbose' -l 'verbose' -s 'v' -d 'Print more detail on stderr (resolved settings, timings).'
complete -c 'lh-report' -n '__lh-report_should_offer_completions_for_flags_or_options "lh-report" version' -l 'version' -d 'Show the version.'
complete -c 'lh-report' -n '__lh-report_should_offer_completions_for_flags_or_options "lh-report" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lh-report' -n '__lh-report_should_offer_completions_for_positional "lh-report" -eq 1' -fa 'status' -d 'Show each table\'s version, size and lag, and the bronze reconciliation.'
complete -c 'lh-report' -n '__lh-report_should_offer_completions_for_positional "lh-report" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'lh-report' -n '__lh-report_should_offer_completions_for_flags_or_options "lh-report status" lake' -l 'lake' -d 'The lake directory (default: $LH_LAKE, else ./lake).' -rfa '(__lh-report_complete_directories)'
complete -c 'lh-report' -n '__lh-report_should_offer_completions_for_flags_or_options "lh-report status" check' -l 'check' -d 'Exit 1 when a table is stale beyond --max-lag, bronze is older than --max-age, a file is missing or has the wrong size (--deep), or the lake does not reconcile.'
complete -c 'lh-report' -n '__lh-report_should_offer_completions_for_flags_or_options "lh-report status" max-lag' -l 'max-lag' -d 'How long bronze commits may wait (default 1h).' -rfka ''
complete -c 'lh-report' -n '__lh-report_should_offer_completions_for_flags_or_options "lh-report status" max-age' -l 'max-age' -d 'How old bronze\'s last commit may be before ingest counts as stalled (default: not checked).' -rfka ''
complete -c 'lh-report' -n '__lh-report_should_offer_completions_for_flags_or_options "lh-report status" deep' -l 'deep' -d 'Also check that every file each table\'s current version references exists, with the size the log records (a --check problem, and metrics with --format prometheus).'
complete -c 'lh-report' -n '__lh-report_should_offer_completions_for_flags_or_options "lh-report status" format' -l 'format' -d 'Output format: text, csv, ndjson, markdown, html or prometheus (default: text on a terminal, else ndjson).' -rfka 'text csv ndjson markdown html prometheus'
complete -c 'lh-report' -n '__lh-report_should_offer_completions_for_flags_or_options "lh-report status" width' -l 'width' -d 'Columns to draw in (default: the terminal\'s, else 80).' -rfka ''
complete -c 'lh-report' -n '__lh-report_should_offer_completions_for_flags_or_options "lh-report status" ascii' -l 'ascii' -d 'Draw with ASCII characters only (also when the locale is not UTF-8).'
complete -c 'lh-report' -n '__lh-report_should_offer_completions_for_flags_or_options "lh-report status" raw-csv' -l 'raw-csv' -d 'CSV cells exactly as in the data (by default a text cell starting with =, +, -, @, tab or CR gets a leading \' so that spreadsheets do not run it as a formula).'
complete -c 'lh-report' -n '__lh-report_should_offer_completions_for_flags_or_options "lh-report status" q quiet' -l 'quiet' -s 'q' -d 'Print nothing on stderr but errors (no summary, no progress).'
complete -c 'lh-report' -n '__lh-report_should_offer_completions_for_flags_or_options "lh-report status" v verbose' -l 'verbose' -s 'v' -d 'Print more detail on stderr (resolved settings, timings).'
complete -c 'lh-report' -n '__lh-report_should_offer_completions_for_flags_or_options "lh-report status" version' -l 'version' -d 'Show the version.'
complete -c 'lh-report' -n '__lh-report_should_offer_completions_for_flags_or_options "lh-report status" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lh-report' -n '__lh-report_should_offer_completions_for_flags_or_options "lh-report help" version' -l 'version' -d 'Show the version.'
