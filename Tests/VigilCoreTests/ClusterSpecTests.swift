import Testing
@testable import VigilCore

@Suite struct ClusterSpecTests {
    func parse(_ text: String) throws -> ClusterSpec { try ClusterSpec.parse(try JSONParser.parse(Array(text.utf8))) }

    @Test func aSpecRoundTripsThroughItsStoredForm() throws {
        let spec = try parse(#"{"cluster_name":"etl","num_workers":3,"custom_tags":{"b":"1","a":"2"},"spark_conf":{"k":"v"},"state":"ignored"}"#)
        #expect(spec.targetWorkers == 3 && spec.customTags.map(\.key) == ["b", "a"])
        #expect(spec.settings == [JSONMember("spark_conf", .object([JSONMember("k", .string("v"))]))])
        #expect(ClusterSpec.stored(JSONWriter.text(of: .object(spec.json))) == spec)
        let autoscaled = try parse(#"{"cluster_name":"a","autoscale":{"min_workers":2,"max_workers":5}}"#)
        #expect(autoscaled.targetWorkers == 2 && autoscaled.numWorkers == nil)
        #expect(try parse(#"{"cluster_name":"single"}"#).numWorkers == 0)
    }

    @Test func clusterIDsLookLikeDatabricksOnes() {
        let id = ClusterID.make(millis: 1_796_249_045_148)
        #expect(id.hasPrefix("1202-220405-") && id.count == 20, "\(id)")
        #expect(ClusterID.problem(id) == nil)
        #expect(ClusterID.problem("") != nil && ClusterID.problem("a b") != nil && ClusterID.problem(String(repeating: "a", count: 65)) != nil)
        #expect(ClusterID.make(millis: 0) != ClusterID.make(millis: 0))
    }
}
