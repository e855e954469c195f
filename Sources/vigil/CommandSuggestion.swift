import ArgumentParser

/// A mistyped subcommand (`vigil evnts list`) named with the closest real one, before ArgumentParser reports it
/// as an unexpected argument.
enum CommandSuggestion {
    /// The message for the first word that is not a subcommand where one is expected, or nil when the words
    /// name commands (options and arguments after the last subcommand are ArgumentParser's to check).
    static func unknownCommand(in arguments: [String], root: any ParsableCommand.Type) -> String? {
        var command = root
        var path = [root._commandName]
        for argument in arguments {
            if argument.hasPrefix("-") { return nil }
            let subcommands = command.configuration.subcommands
            if subcommands.isEmpty { return nil }
            guard let next = subcommands.first(where: { $0._commandName == argument || $0.configuration.aliases.contains(argument) }) else {
                if argument == "help" { return nil }
                let names = subcommands.map { $0._commandName }
                let near = names.map { ($0, distance(argument, $0)) }.filter { $0.1 <= max(2, argument.count / 3) }.min { $0.1 < $1.1 }
                let context = path.joined(separator: " ")
                if let near { return "unknown command '\(argument)'; did you mean '\(context) \(near.0)'?" }
                return "unknown command '\(argument)' for '\(context)'; commands: \(names.joined(separator: ", "))"
            }
            command = next
            path.append(next._commandName)
        }
        return nil
    }

    /// Levenshtein distance (commands are short).
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.lowercased()), b = Array(b.lowercased())
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
