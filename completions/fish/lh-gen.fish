function __lh-gen_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __lh-gen_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __lh-gen_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __lh-gen_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __lh-gen_parse_tokens -S
    set -l unparsed_tokens (__lh-gen_tokens -pc)
    switch $unparsed_tokens[1]
    case 'lh-gen'
        __lh-gen_parse_subcommand 0 'contract=' 'c/count=' 'duration=' 'start=' 'follow' 'rate=' 'burst=' 'seed=' 'users=' 'user-growth=' 'devices=' 'stores=' 'late=' 'late-by=' 'duplicates=' 'malformed=' 'format=' 'zstd-level=' 'force' 'o/output=' 'q/quiet' 'v/verbose' 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'help'
            __lh-gen_parse_subcommand -r 1 'version'
        end
    end
end

function __lh-gen_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __lh-gen_parse_subcommand -S -a positional_count
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

function __lh-gen_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __lh-gen_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__lh-gen_tokens -p)
    if test -z "$(__lh-gen_tokens -t)"
        set -l index (count (__lh-gen_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'lh-gen' -f
complete -c 'lh-gen' -n '__lh-gen_should_offer_completions_for_flags_or_options "lh-gen" contract' -l 'contract' -d 'The dataset: clickstream, iot or sales.' -rfka 'clickstream iot sales'
complete -c 'lh-gen' -n '__lh-gen_should_offer_completions_for_flags_or_options "lh-gen" c count' -l 'count' -s 'c' -d 'Lines to write (default 100000; unbounded with --follow).' -rfka ''
complete -c 'lh-gen' -n '__lh-gen_should_offer_completions_for_flags_or_options "lh-gen" duration' -l 'duration' -d 'Event-time span the lines cover, e.g. 6h, 90m, 2d (default 24h).' -rfka ''
complete -c 'lh-gen' -n '__lh-gen_should_offer_completions_for_flags_or_options "lh-gen" start' -l 'start' -d 'Event time of the first line, RFC 3339 or a date (default 2026-01-01T00:00:00Z).' -rfka ''
complete -c 'lh-gen' -n '__lh-gen_should_offer_completions_for_flags_or_options "lh-gen" follow' -l 'follow' -d 'Never stop (or stop after --count); event time is wall time; paced by --rate.'
complete -c 'lh-gen' -n '__lh-gen_should_offer_completions_for_flags_or_options "lh-gen" rate' -l 'rate' -d 'Pace output to this many events per second of wall time (default 1000 with --follow).' -rfka ''
complete -c 'lh-gen' -n '__lh-gen_should_offer_completions_for_flags_or_options "lh-gen" burst' -l 'burst' -d 'Bursts on top of --rate: every EVERY seconds, SECONDS long at RATE events per second.' -rfka ''
complete -c 'lh-gen' -n '__lh-gen_should_offer_completions_for_flags_or_options "lh-gen" seed' -l 'seed' -d 'Seed of the pseudo-random generator.' -rfka ''
complete -c 'lh-gen' -n '__lh-gen_should_offer_completions_for_flags_or_options "lh-gen" users' -l 'users' -d 'Clickstream users at the start.' -rfka ''
complete -c 'lh-gen' -n '__lh-gen_should_offer_completions_for_flags_or_options "lh-gen" user-growth' -l 'user-growth' -d 'Growth of the clickstream user base per day, as a fraction. (default: 0.05)' -rfka ''
complete -c 'lh-gen' -n '__lh-gen_should_offer_completions_for_flags_or_options "lh-gen" devices' -l 'devices' -d 'iot devices (three sensors each).' -rfka ''
complete -c 'lh-gen' -n '__lh-gen_should_offer_completions_for_flags_or_options "lh-gen" stores' -l 'stores' -d 'sales stores.' -rfka ''
complete -c 'lh-gen' -n '__lh-gen_should_offer_completions_for_flags_or_options "lh-gen" late' -l 'late' -d 'Fraction of events whose event time lags behind.' -rfka ''
complete -c 'lh-gen' -n '__lh-gen_should_offer_completions_for_flags_or_options "lh-gen" late-by' -l 'late-by' -d 'The most a late event lags (default 10m).' -rfka ''
complete -c 'lh-gen' -n '__lh-gen_should_offer_completions_for_flags_or_options "lh-gen" duplicates' -l 'duplicates' -d 'Fraction of lines that re-send an earlier event verbatim.' -rfka ''
complete -c 'lh-gen' -n '__lh-gen_should_offer_completions_for_flags_or_options "lh-gen" malformed' -l 'malformed' -d 'Fraction of lines broken on purpose: truncated, wrong type, missing key, unknown enum value or invalid UTF-8.' -rfka ''
complete -c 'lh-gen' -n '__lh-gen_should_offer_completions_for_flags_or_options "lh-gen" format' -l 'format' -d 'Output format: ndjson, or parquet (zstd, typed columns of the dataset).' -rfka 'ndjson parquet'
complete -c 'lh-gen' -n '__lh-gen_should_offer_completions_for_flags_or_options "lh-gen" zstd-level' -l 'zstd-level' -d 'zstd compression level of Parquet pages (1 to 22; negative levels, down to -7, are faster).' -rfka ''
complete -c 'lh-gen' -n '__lh-gen_should_offer_completions_for_flags_or_options "lh-gen" force' -l 'force' -d 'Write Parquet even when stdout is a terminal.'
complete -c 'lh-gen' -n '__lh-gen_should_offer_completions_for_flags_or_options "lh-gen" o output' -l 'output' -s 'o' -d 'Write to FILE instead of stdout.' -rF
complete -c 'lh-gen' -n '__lh-gen_should_offer_completions_for_flags_or_options "lh-gen" q quiet' -l 'quiet' -s 'q' -d 'Print nothing on stderr but errors (no summary, no progress).'
complete -c 'lh-gen' -n '__lh-gen_should_offer_completions_for_flags_or_options "lh-gen" v verbose' -l 'verbose' -s 'v' -d 'Print more detail on stderr (resolved settings, timings).'
complete -c 'lh-gen' -n '__lh-gen_should_offer_completions_for_flags_or_options "lh-gen" version' -l 'version' -d 'Show the version.'
complete -c 'lh-gen' -n '__lh-gen_should_offer_completions_for_flags_or_options "lh-gen" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lh-gen' -n '__lh-gen_should_offer_completions_for_positional "lh-gen" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'lh-gen' -n '__lh-gen_should_offer_completions_for_flags_or_options "lh-gen help" version' -l 'version' -d 'Show the version.'
