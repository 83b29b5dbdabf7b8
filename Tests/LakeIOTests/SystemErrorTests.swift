import Foundation
import LakeIO
import Testing

@Suite("System errors")
struct SystemErrorTests {
  @Test("a full or failing disk is an I/O error whatever the call; other errno keep their category")
  func storageFailuresAreIO() {
    for e in [EIO, ENOSPC, EDQUOT, EFBIG] {
      #expect(SystemError("create", path: "x", errno: e, category: .cannotCreate).category == .io)
      #expect(SystemError("rename", path: "x", errno: e, category: .cannotCreate).category == .io)
      #expect(SystemError("open", path: "x", errno: e, category: .noInput).category == .io)
    }
    #expect(SystemError("create", errno: EACCES, category: .cannotCreate).category == .cannotCreate)
    #expect(SystemError("open", errno: ENOENT, category: .noInput).category == .noInput)
    #expect(
      SystemError("create", path: "lake/a", errno: ENOSPC, category: .cannotCreate).description
        == "lake/a: create: no space left on device")
  }
}
