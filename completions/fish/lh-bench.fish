function __lh-bench_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __lh-bench_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __lh-bench_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __lh-bench_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __lh-bench_parse_tokens -S
    set -l unparsed_tokens (__lh-bench_tokens -pc)
    switch $unparsed_tokens[1]
    case 'lh-bench'
        __lh-bench_parse_subcommand 0 'h/help'
        switch $unparsed_tokens[1]
        case 'write'
            __lh-bench_parse_subcommand 4 'h/help'
        case 'read'
            __lh-bench_parse_subcommand 1 'h/help'
        case 'validate'
            __lh-bench_parse_subcommand 3 'h/help'
        case 'checkpoint'
            __lh-bench_parse_subcommand 3 'h/help'
        case 'checkpoint-table'
            __lh-bench_parse_subcommand 1 'h/help'
        case 'help'
            __lh-bench_parse_subcommand -r 1 
        end
    end
end

function __lh-bench_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __lh-bench_parse_subcommand -S -a positional_count
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

function __lh-bench_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __lh-bench_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__lh-bench_tokens -p)
    if test -z "$(__lh-bench_tokens -t)"
        set -l index (count (__lh-bench_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'lh-bench' -f
complete -c 'lh-bench' -n '__lh-bench_should_offer_completions_for_flags_or_options "lh-bench" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lh-bench' -n '__lh-bench_should_offer_completions_for_positional "lh-bench" -eq 1' -fa 'write' -d 'Load NDJSON into typed columns ("load"), then write them as Parquet ("write").'
complete -c 'lh-bench' -n '__lh-bench_should_offer_completions_for_positional "lh-bench" -eq 1' -fa 'read' -d 'Read every row group and column of a Parquet file ("read").'
complete -c 'lh-bench' -n '__lh-bench_should_offer_completions_for_positional "lh-bench" -eq 1' -fa 'validate' -d 'Check every line of NDJSON against a contract; the best of REPEAT passes.'
complete -c 'lh-bench' -n '__lh-bench_should_offer_completions_for_positional "lh-bench" -eq 1' -fa 'checkpoint' -d 'Encode ADDS add actions as a checkpoint ("write") and read it back ("read").'
complete -c 'lh-bench' -n '__lh-bench_should_offer_completions_for_positional "lh-bench" -eq 1' -fa 'checkpoint-table' -d 'Write the checkpoint of a table\'s latest version ("write"), then read a snapshot ("snapshot").'
complete -c 'lh-bench' -n '__lh-bench_should_offer_completions_for_positional "lh-bench" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'lh-bench' -n '__lh-bench_should_offer_completions_for_positional "lh-bench write" -eq 1' -F
complete -c 'lh-bench' -n '__lh-bench_should_offer_completions_for_positional "lh-bench write" -eq 2' -F
complete -c 'lh-bench' -n '__lh-bench_should_offer_completions_for_flags_or_options "lh-bench write" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lh-bench' -n '__lh-bench_should_offer_completions_for_positional "lh-bench read" -eq 1' -F
complete -c 'lh-bench' -n '__lh-bench_should_offer_completions_for_flags_or_options "lh-bench read" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lh-bench' -n '__lh-bench_should_offer_completions_for_positional "lh-bench validate" -eq 1' -F
complete -c 'lh-bench' -n '__lh-bench_should_offer_completions_for_flags_or_options "lh-bench validate" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lh-bench' -n '__lh-bench_should_offer_completions_for_positional "lh-bench checkpoint" -eq 1' -fa '(__lh-bench_complete_directories)'
complete -c 'lh-bench' -n '__lh-bench_should_offer_completions_for_flags_or_options "lh-bench checkpoint" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lh-bench' -n '__lh-bench_should_offer_completions_for_positional "lh-bench checkpoint-table" -eq 1' -fa '(__lh-bench_complete_directories)'
complete -c 'lh-bench' -n '__lh-bench_should_offer_completions_for_flags_or_options "lh-bench checkpoint-table" h help' -s 'h' -l 'help' -d 'Show help information.'
