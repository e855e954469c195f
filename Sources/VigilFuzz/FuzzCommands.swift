import ArgumentParser
import Foundation
import VigilCore
import VigilSQL
import VigilStore
import VigilTesting

/// What every fuzz command takes: how many inputs (or for how long), from which seed, and where the corpus is.
struct FuzzOptions: ParsableArguments {
    @Option(help: "Inputs to run (stops earlier at --seconds).")
    var iterations: Int = 100_000

    @Option(help: "Stop after this many seconds, whatever --iterations says (0: no time limit).")
    var seconds: Double = 0

    @Option(help: "Seed of the run; input #i of a seed is always the same.")
    var seed: UInt64 = 1

    @Option(help: "First input index (replay a crash with --start I --iterations 1).")
    var start: Int = 0

    @Option(help: "Corpus folder (one input per file).")
    var corpus: String?

    /// The inputs of `--corpus`, or of the default folders; each folder's files get its prefix in the sort, so the
    /// SQL golden cases (their `.sql` files only) (read where the tests keep them, not copied) sort as `golden-<case>`.
    func corpusEntries(default folders: [(path: String, prefix: String, suffix: String)]) throws -> [[UInt8]] {
        let sources = corpus.map { [(path: $0, prefix: "", suffix: "")] } ?? folders
        var files: [(name: String, url: URL)] = []
        for source in sources {
            for name in try FileManager.default.contentsOfDirectory(atPath: source.path) where name.hasSuffix(source.suffix) {
                files.append((source.prefix + name, URL(fileURLWithPath: source.path).appendingPathComponent(name)))
            }
        }
        return try files.sorted { $0.name < $1.name }.map { Array(try Data(contentsOf: $0.url)) }
    }

    /// Runs `body(index, random)` for each input until the count or the time is reached; prints progress.
    func loop(_ body: (Int, inout SplitMix) async throws -> Void) async rethrows -> (count: Int, seconds: Double) {
        let started = ContinuousClock.now
        var count = 0
        for index in start..<(start + iterations) {
            if seconds > 0, (ContinuousClock.now - started) > .seconds(seconds) { break }
            var random = SplitMix.forInput(seed: seed, index: index)
            try await body(index, &random)
            count += 1
            if count % 50_000 == 0 {
                FileHandle.standardError.write(Data("  \(count) inputs…\n".utf8))
            }
        }
        let elapsed = ContinuousClock.now - started
        return (count, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
}

/// The repository's corpus folder, found from this file's place in the checkout.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let corpusRoot = repositoryRoot.appendingPathComponent("Fuzz/corpus").path
let goldenCases = repositoryRoot.appendingPathComponent("Tests/SQLGolden/cases").path

/// Spark SQL through the whole path: parse, bind, lower, emit, and run on a real SQLite file holding the golden
/// data, with a short statement timeout. Generated from the grammar (half) or mutated from the corpus (half).
struct SQLFuzzCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sql", abstract: "Fuzz the SQL compiler and runtime.")

    @OptionGroup var options: FuzzOptions

    @Flag(help: "Compile only; do not run the statements.")
    var compileOnly = false

    @Flag(help: "Print each statement and its outcome (to see what the generator makes).")
    var verbose = false

    func run() async throws {
        CrashReporter.install()
        let corpus = try options.corpusEntries(default: [(corpusRoot + "/sql", "", ""), (goldenCases, "golden-", ".sql")]).map { String(decoding: $0, as: UTF8.self) }
        let folder = try TemporaryDirectory(prefix: "vigil-fuzz")
        defer { folder.remove() }
        let (database, informationSchema) = try await SQLGolden.database(in: folder)
        let runner = SQLStatementRunner(
            database: database, limits: .init(timeout: .milliseconds(100), rowLimit: 200, executor: .init(concurrency: 1, queueDepth: 4)))
        let compiler = SQLCompiler()
        var tally = Tally(kind: "sql")
        let (count, seconds) = await options.loop { index, random in
            let statement: String
            let source: String
            if random.chance(50) || corpus.isEmpty {
                var generator = SQLGenerator(random: random)
                statement = generator.statement()
                random = generator.random
                source = "generated"
            } else {
                source = "mutated"
                var mutator = Mutator(random: random)
                // Statements past 256 KiB spend the run in the lexer; the generator's hostile shapes cover size.
                statement = String(mutator.mutate(text: random.pick(corpus), splice: random.pick(corpus)).prefix(256 << 10))
            }
            CrashReporter.current("sql #\(index) seed \(options.seed)", statement.utf8)
            if compileOnly {
                do throws(SQLError) {
                    _ = try compiler.compile(statement, now: SQLGolden.now, computedTables: informationSchema)
                    tally.count("\(source): compiled")
                } catch {
                    tally.count("\(source): refused \(error.code.rawValue)")
                }
            } else {
                do throws(SQLError) {
                    _ = try await runner.run(statement, now: SQLGolden.now, computedTables: informationSchema)
                    tally.count("\(source): succeeded")
                    if verbose { print("OK  \(statement.prefix(400))") }
                } catch {
                    tally.count("\(source): failed \(error.code.rawValue)")
                    if verbose { print("\(error.code.rawValue) \(error.message.prefix(120)) ← \(statement.prefix(400))") }
                    if error.code == .internalError || error.code == .runtime {
                        tally.finding("\(error.code.rawValue) \(error.detail ?? error.message) ← \(statement.prefix(300))")
                    }
                }
            }
        }
        tally.inputs = count
        print(tally.report(seed: options.seed, seconds: seconds), terminator: "")
    }
}

/// Ingest bodies through the decoders a request meets (envelope split, event and node-row validation, strict
/// JSON), then the canonical encoding and content hash of every event they accept, and a JSON round trip.
struct IngestFuzzCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ingest", abstract: "Fuzz the ingest decoders and the JSON parser.")

    @OptionGroup var options: FuzzOptions

    func run() async throws {
        CrashReporter.install()
        let corpus = try options.corpusEntries(default: [(corpusRoot + "/ingest", "", "")])
        let events = EventDecoder()
        let nodes = NodeTimelineDecoder()
        let limits = IngestLimits()
        var tally = Tally(kind: "ingest")
        let (count, seconds) = await options.loop { index, random in
            let body: [UInt8]
            let contentType: String?
            let asNodes = random.chance(25)
            if random.chance(50) || corpus.isEmpty {
                var generator = IngestGenerator(random: random)
                (body, contentType) = generator.body(nodes: asNodes)
                random = generator.random
            } else {
                var mutator = Mutator(random: random)
                body = mutator.mutate(bytes: random.pick(corpus))
                contentType = random.pick([nil, "application/json", "application/x-ndjson"])
                random = mutator.random
            }
            CrashReporter.current("ingest #\(index) seed \(options.seed)", body)
            var problems: [ValidationProblem] = []
            if asNodes {
                let (rows, _) = IngestBody.decode(body, contentType: contentType, limits: limits, item: "row", problems: &problems) {
                    nodes.decode($0, index: $1, nowMillis: SQLGolden.now, problems: &$2)
                }
                tally.count(problems.isEmpty ? "rows accepted" : "rows refused \(problems[0].reason.rawValue)")
                _ = rows.count
            } else {
                let (decoded, _) = IngestBody.decode(body, contentType: contentType, limits: limits, item: "event", problems: &problems) {
                    events.decode($0, index: $1, nowMillis: SQLGolden.now, problems: &$2)
                }
                // What the sequencer does with an accepted event: canonical bytes and their hash.
                for event in decoded { _ = PreparedEvent(event, receivedMillis: SQLGolden.now) }
                tally.count(problems.isEmpty ? "events accepted" : "events refused \(problems[0].reason.rawValue)")
            }
            // Strict JSON: what parses must write back to the same value.
            if let value = try? JSONParser.parse(body, rejectsDuplicateKeys: random.chance(50)) {
                if (try? JSONParser.parse(Array(JSONWriter.text(of: value).utf8))) != value {
                    tally.finding("JSON round trip changed the value of \(String(decoding: body.prefix(200), as: UTF8.self))")
                }
            }
        }
        tally.inputs = count
        print(tally.report(seed: options.seed, seconds: seconds), terminator: "")
    }
}
