"""`python -m bot demo` plays a scripted conversation with no network and no token."""

from tests.test_cli import cli

SCRIPT = """\
; comments and blank lines are skipped

/whoami
:as admin
/import
#2
not a file
/cancel
:as regulator
/invite admin -
:as employee
/language en
/help
#9
:as nobody
:quit
"""


async def test_demo_runs_a_scripted_conversation(tmp_path):
    (tmp_path / "script.txt").write_text(SCRIPT, encoding="utf-8")
    code, out = await cli(
        tmp_path, "demo", "--script", "script.txt", "--enterprises", "40", DEFAULT_LOCALE="zh"
    )
    assert code == 0, out
    owner_part, _, rest = out.partition(":as admin")
    assert "企业负责人：" in owner_part  # the owner persona holds the owner role
    assert "[2] agencies" in rest
    assert "请发送「agencies」的 CSV 或 XLSX 文件" in rest
    assert "请发送 CSV 或 XLSX 文件" in rest
    assert "已取消，未保存任何内容" in rest
    assert "这个命令仅供管理员使用" in rest
    assert "Language set to English" in rest and "You can use:" in rest
    assert "no button '9' to press" in rest
    assert "no persona 'nobody'" in rest
    assert "Traceback" not in out


OWNER_TO_STAFF = """\
/hazards
#1
:photo
#1
已更换新锁
:as staff
:as owner
/rate
#1
:paste
第一行
第二行
.
:file missing.csv
:quit
"""


async def test_demo_owner_has_work_and_others_see_their_notices(tmp_path):
    """The demo owner starts with hazards to fix and a visit to rate; a rectification sent
    with the built-in photo reaches the staff persona, shown when the console switches."""
    (tmp_path / "script.txt").write_text(OWNER_TO_STAFF, encoding="utf-8")
    code, out = await cli(
        tmp_path, "demo", "--script", "script.txt", "--enterprises", "60", DEFAULT_LOCALE="zh"
    )
    assert code == 0, out
    owner_part, _, rest = out.partition(":as staff")
    assert "待整改隐患" in owner_part and "已提交整改" in owner_part
    staff_part, _, rest = rest.partition(":as owner")
    assert "(sent to you meanwhile)" in staff_part and "企业已提交整改" in staff_part
    assert "说明：已更换新锁（照片 1 张）" in staff_part
    assert "请选择星级" in rest and "[5] ★★★★★" in rest
    # the pasted block arrives as one message: one hint, then the stars asked once again
    pasted = rest.partition("> .")[2].partition("> :file")[0]
    assert pasted.count("上一个问题还没有回答") == 1 and pasted.count("请选择星级") == 1
    assert "could not do that" in rest and "missing.csv" in rest
    assert "Traceback" not in out
