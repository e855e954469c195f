import Testing
import VigilCore
@testable import VigilMonitoring

/// The events body and its `next_page`, without a server.
@Suite struct ClusterEventsRequestTests {
    func parse(_ text: String) throws -> ClusterEventsRequest { try ClusterEventsRequest.parse(try JSONParser.parse(Array(text.utf8))) }

    func events(_ count: Int) -> [ClusterEventRecord] {
        (0..<count).map { ClusterEventRecord(id: Int64($0 + 1), clusterID: "c", timestamp: 1000 + Int64($0), type: "RUNNING", details: "{}") }
    }

    @Test func defaultsAreNewestFirstFiftyAtATime() throws {
        let request = try parse(#"{"cluster_id":"c"}"#)
        #expect(request.query == ClusterEventQuery(clusterID: "c", ascending: false, offset: 0, limit: 50))
        #expect(!request.keyset)
    }

    @Test func offsetPagingRepeatsTheFiltersInNextPage() throws {
        let request = try parse(#"{"cluster_id":"c","start_time":"5","end_time":900000,"order":"asc","event_types":["RUNNING"],"offset":10,"limit":"2"}"#)
        #expect(request.query.startMillis == 5 && request.query.endMillis == 900_000 && request.query.ascending)
        let answer = request.response(events: events(2), total: 13)
        #expect(JSONWriter.text(of: answer["next_page"]!) == #"{"cluster_id":"c","start_time":5,"end_time":900000,"order":"ASC","event_types":["RUNNING"],"offset":12,"limit":2}"#)
        #expect(answer["total_count"] == .number("13"))
        // The last page has no next_page.
        #expect(request.response(events: events(2), total: 12)["next_page"] == nil)
        #expect(request.response(events: [], total: 12)["next_page"] == nil)
    }

    @Test func tokenPagingContinuesAfterTheLastEvent() throws {
        let first = try parse(#"{"cluster_id":"c","page_size":2}"#)
        #expect(first.keyset && first.query.limit == 2)
        let answer = first.response(events: events(2), total: 5)
        guard case .string(let token)? = answer["next_page_token"] else { Issue.record("no token"); return }
        #expect(answer["next_page"]?["page_token"] == .string(token))
        let second = try ClusterEventsRequest.parse(answer["next_page"]!)
        #expect(second.query.after?.timestamp == 1001 && second.query.after?.id == 2)
        // A token is for one order only; a short page is the last.
        #expect(throws: VigilError.self) { try parse(#"{"cluster_id":"c","order":"ASC","page_token":"\#(token)"}"#) }
        #expect(first.response(events: events(1), total: 5)["next_page"] == nil)
        // page_size 0 means the default.
        #expect(try parse(#"{"cluster_id":"c","page_size":0}"#).query.limit == 50)
    }

    @Test func refusalsNameTheField() {
        for (body, fragment) in [
            (#"{"cluster_id":"c","limit":0}"#, "limit"), (#"{"cluster_id":"c","page_size":501}"#, "page_size"),
            (#"{"cluster_id":"c","offset":-1}"#, "offset"), (#"{"cluster_id":"c","start_time":"soon"}"#, "start_time"),
            (#"{"cluster_id":"c","event_types":"RUNNING"}"#, "event_types must be an array"), (#"{"cluster_id":"c","x":1}"#, "unknown field 'x'"),
            (#"{"cluster_id":""}"#, "cluster_id is invalid"), (#"{"cluster_id":"c","limit":5,"page_size":5}"#, "not both"),
        ] {
            do {
                _ = try parse(body)
                Issue.record("\(body) was accepted")
            } catch let error as VigilError {
                #expect(error.message.contains(fragment), "\(body): \(error.message)")
            } catch {
                Issue.record("\(error)")
            }
        }
    }
}

/// `system.lakeflow.job_run_timeline`'s clock-hour slices.
@Suite struct RunSlicesTests {
    let hour: Int64 = 3_600_000

    @Test func aRunIsCutAtEachClockHour() {
        // 10:50 to 12:10.
        let start = 10 * hour + 50 * 60_000
        let end = 12 * hour + 10 * 60_000
        let slices = RunSlices.slices(start: start, end: end)
        #expect(slices.map(\.start) == [start, 11 * hour, 12 * hour])
        #expect(slices.map(\.end) == [11 * hour, 12 * hour, end])
        #expect(slices.reduce(0) { $0 + $1.end - $1.start } == end - start)
    }

    @Test func shortAndEmptyRuns() {
        #expect(RunSlices.slices(start: hour + 5, end: hour + 9).map(\.start) == [hour + 5])
        #expect(RunSlices.slices(start: hour, end: 2 * hour).count == 1, "an hour from a boundary to the next is one slice")
        let empty = RunSlices.slices(start: 7, end: 7)
        #expect(empty.count == 1 && empty[0].start == 7 && empty[0].end == 7)
    }
}
