import Foundation

/// Command-line options of the benchmark executable.
struct BenchmarkOptions {
    var eventsPerClient = 50_000
    var stored = 1_000_000
    var queries = 500

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let flag = iterator.next() {
            let value = iterator.next().flatMap(Int.init) ?? 0
            switch flag {
            case "--events-per-client": eventsPerClient = max(1000, value)
            case "--stored": stored = max(1000, value)
            case "--queries": queries = max(10, value)
            default: print("unknown option \(flag)"); exit(2)
            }
        }
    }
}
