import Testing
@testable import VigilCore

@Suite("Node timeline row validation and mapping")
struct NodeTimelineDecoderTests {
    static let now: Int64 = 1_700_000_000_000  // 2023-11-14T22:13:20Z
    static let required = #""cluster_id":"c-1","instance_id":"i-1","start_time":"2023-11-14T22:00:00Z","end_time":"2023-11-14T22:01:00Z""#

    func decode(_ json: String) throws -> (NodeTimelineRow?, [ValidationProblem]) {
        var problems: [ValidationProblem] = []
        let row = NodeTimelineDecoder().decode(try JSONParser.parse(json), index: 0, nowMillis: Self.now, problems: &problems)
        return (row, problems)
    }

    @Test("a full row maps to the table's columns: integer workspace ids as text, mount points sorted, JSON integers")
    func mapsColumns() throws {
        let (row, problems) = try decode(#"""
            {\#(Self.required),"workspace_id":1001,"driver":true,"cpu_user_percent":12.5,"mem_swap_percent":null,
             "network_received_bytes":9007199254740993,"disk_free_bytes_per_mount_point":{"/local_disk0":5,"/":7,"/tmp":null}}
            """#)
        #expect(problems.isEmpty, "\(problems)")
        let decoded = try #require(row)
        #expect(decoded.workspaceID == "1001")
        #expect(decoded.startMillis == 1_699_999_200_000)
        #expect(decoded.endMillis - decoded.startMillis == 60_000)
        #expect(decoded.driver == true)
        #expect(decoded.cpuUserPercent == 12.5)
        #expect(decoded.memSwapPercent == nil)
        #expect(decoded.networkReceivedBytes == 9_007_199_254_740_993)
        #expect(decoded.diskFreeJSON == #"{"/":7,"/local_disk0":5}"#)
    }

    @Test("each invalid member is reported with its field and stable reason", arguments: [
        (#"{"instance_id":"i","start_time":"2023-11-14T22:00:00Z","end_time":"2023-11-14T22:01:00Z"}"#, "cluster_id", ValidationReason.missingField),
        (#"{"cluster_id":"","instance_id":"i","start_time":"2023-11-14T22:00:00Z","end_time":"2023-11-14T22:01:00Z"}"#, "cluster_id", .missingField),
        (#"{"cluster_id":"c","instance_id":"i","start_time":"soon","end_time":"2023-11-14T22:01:00Z"}"#, "start_time", .invalidTimestamp),
        (#"{"cluster_id":"c","instance_id":"i","start_time":"2023-11-14T22:30:00Z","end_time":"2023-11-14T22:31:00Z"}"#, "end_time", .invalidTimestamp),
        (#"{"cluster_id":"c","instance_id":"i","start_time":"2023-11-14T22:01:00Z","end_time":"2023-11-14T22:00:00Z"}"#, "end_time", .invalidInterval),
        ("{\(required),\"mem_used_percent\":100.5}", "mem_used_percent", .outOfRange),
        ("{\(required),\"network_sent_bytes\":1.5}", "network_sent_bytes", .outOfRange),
        ("{\(required),\"driver\":1}", "driver", .wrongType),
        ("{\(required),\"disk_free_bytes_per_mount_point\":[1]}", "disk_free_bytes_per_mount_point", .wrongType),
        ("{\(required),\"disk_free_bytes_per_mount_point\":{\"/\":-1}}", "disk_free_bytes_per_mount_point./", .outOfRange),
        ("{\(required),\"gpu_percent\":3}", "gpu_percent", .unknownField),
        ("{\(required),\"cluster_id\":\"c-2\"}", "cluster_id", .duplicateField),
    ])
    func rejects(_ json: String, field: String, reason: ValidationReason) throws {
        let (row, problems) = try decode(json)
        #expect(row == nil)
        #expect(problems.contains { $0.field == field && $0.reason == reason }, "\(problems)")
    }
}
