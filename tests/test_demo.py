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
