import Foundation

/// Command-line options of the benchmark executable.
struct BenchmarkOptions {
    var eventsPerClient = 50_000
    var stored = 1_000_000
    var queries = 500
    /// (h): node_timeline rows for Q20 and grants behind information_schema for Q1.
    var nodeRows = 500_000
    var grants = 500
    /// Keep the stored-events database in this folder (and reuse it when it is already loaded).
    var databaseFolder: String?
    /// Skip (a), (b) and (c)-(f): load (or reuse) the store and run the SQL figures only.
    var sqlOnly = false
    /// Run the app log figures (i)-(k) only.
    var appLogsOnly = false
    /// (i): log lines pushed; (k): lines the command under `vigil run` prints.
    var logLines = 2_000_000
    var runLines = 1_000_000
    /// Run the monitoring figures (l)-(n) only: heartbeats per simulated agent, seconds the agent is watched, and
    /// days of one-minute rows for the utilisation query.
    var computeOnly = false
    /// `--detections`: only (o)-(p).
    var detectionsOnly = false
    /// `--detection-ingest with|without`: only (o)'s ingest, with or without the starter pack, one server; for
    /// comparing two whole processes run in turn.
    var detectionIngest: Bool?
    /// `--delivery`: only (q)-(r), over `--stored` events (default 200,000 here) and `--lag-seconds` of load.
    var deliveryOnly = false
    var lagSeconds = 30
    /// `--s3-endpoint URL`: (q) also delivers to the bucket `vigil-bench` there.
    var s3Endpoint: String?
    var probes = 200
    var agentReports = 100
    var agentSeconds = 60
    var utilisationDays = 30

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let flag = iterator.next() {
            if flag == "--sql-only" {
                sqlOnly = true
                continue
            }
            if flag == "--app-logs" {
                appLogsOnly = true
                continue
            }
            if flag == "--compute" {
                computeOnly = true
                continue
            }
            if flag == "--delivery" {
                deliveryOnly = true
                continue
            }
            if flag == "--detections" {
                detectionsOnly = true
                continue
            }
            if flag == "--detection-ingest" {
                switch iterator.next() {
                case "with": detectionIngest = true
                case "without": detectionIngest = false
                default: print("--detection-ingest takes with or without"); exit(2)
                }
                continue
            }
            if flag == "--s3-endpoint" {
                s3Endpoint = iterator.next()
                continue
            }
            if flag == "--db" {
                databaseFolder = iterator.next()
                continue
            }
            let value = iterator.next().flatMap(Int.init) ?? 0
            switch flag {
            case "--events-per-client": eventsPerClient = max(1000, value)
            case "--stored": stored = max(1000, value)
            case "--queries": queries = max(10, value)
            case "--node-rows": nodeRows = max(1000, value)
            case "--grants": grants = max(1, value)
            case "--log-lines": logLines = max(40_000, value)
            case "--run-lines": runLines = max(1000, value)
            case "--agent-reports": agentReports = max(1, value)
            case "--agent-seconds": agentSeconds = max(5, value)
            case "--utilisation-days": utilisationDays = max(1, value)
            case "--probes": probes = max(10, value)
            case "--lag-seconds": lagSeconds = max(5, value)
            default: print("unknown option \(flag)"); exit(2)
            }
        }
    }
}
