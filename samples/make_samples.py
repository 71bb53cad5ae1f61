#!/usr/bin/env python3
"""Generate the QwenRAG sample documents of the fictional company 星河科技有限公司 (Xinghe Technology Co., Ltd.).

    .venv/bin/python samples/make_samples.py

Writes, beside this script:
    员工手册_Employee_Handbook.pdf      employee handbook, 7 pages, Chinese with English summaries (reportlab)
    IT_Security_Policy.docx             information security policy, English with some Chinese (python-docx)
    资产与报销_Assets_Expenses.xlsx      expenses, fixed assets and a budget sheet (openpyxl + cached formula values)
    常见问题FAQ.txt                      IT and office FAQ in GBK with Windows line ends
    访客与会议室指南.md                   visitor and meeting-room guide, UTF-8 Markdown
    questions.json                      questions with the expected file, location and answer snippet

Everything is fixed content with fixed dates and metadata, so a run gives the same bytes as the committed
files (given the same library versions and the same font file). The PDF embeds a subset of WenQuanYi Micro
Hei (Debian/Ubuntu: `apt-get install fonts-wqy-microhei`) so that it renders and extracts the same on any
machine; reportlab's built-in CID font would not be embedded and shows no Chinese where no CJK font is
installed.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import sys
import zipfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

OUT = Path(__file__).resolve().parent

HANDBOOK = "员工手册_Employee_Handbook.pdf"
POLICY = "IT_Security_Policy.docx"
WORKBOOK = "资产与报销_Assets_Expenses.xlsx"
FAQ = "常见问题FAQ.txt"
GUIDE = "访客与会议室指南.md"
QUESTIONS = "questions.json"

COMPANY_ZH = "星河科技有限公司"
COMPANY_EN = "Xinghe Technology Co., Ltd."

# One fixed timestamp for every piece of metadata and every zip entry.
FIXED = dt.datetime(2024, 3, 1, 9, 0, 0)
HANDBOOK_DATE = dt.datetime(2023, 12, 20, 9, 0, 0, tzinfo=dt.timezone.utc)  # the PDF's CreationDate

FONT_CANDIDATES = [
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),  # Debian/Ubuntu fonts-wqy-microhei
    ("/usr/share/fonts/wqy-microhei/wqy-microhei.ttc", 0),  # Fedora/Arch
    ("C:/Windows/Fonts/msyh.ttc", 0),  # last resort; gives different bytes than the committed file
]


# --------------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------------


def normalize_zip(path: Path, *, drop: tuple[str, ...] = (), patch=None) -> None:
    """Rewrite an OOXML package with fixed entry timestamps and attributes (same bytes on every run).

    `drop` removes members; `patch(name, data) -> data` may rewrite a member.
    """
    with zipfile.ZipFile(path) as zin:
        members = [(i.filename, zin.read(i.filename)) for i in zin.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zout:
        for name, data in members:
            if name in drop:
                continue
            if patch is not None:
                data = patch(name, data)
            info = zipfile.ZipInfo(name, date_time=FIXED.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            zout.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    path.write_bytes(buf.getvalue())


def fix_core_dates(data: bytes) -> bytes:
    """docProps/core.xml: pin dcterms:created/modified (openpyxl stamps 'now' on save)."""
    stamp = FIXED.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    for tag in (b"dcterms:created", b"dcterms:modified"):
        data = re.sub(rb"(<" + tag + rb"[^>]*>)[^<]*(</" + tag + rb">)", rb"\g<1>" + stamp + rb"\g<2>", data)
    return data


def excel_round(x: float, digits: int = 2) -> float:
    """Excel's ROUND: half away from zero, on the decimal value."""
    return float(Decimal(repr(x)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


# --------------------------------------------------------------------------------------------------
# 1. Employee handbook (PDF)
# --------------------------------------------------------------------------------------------------

# Each inner list is one page; the generator asserts that every page really ends where planned.
# Items: ("h1", text) chapter, ("h2", text) section, ("p", text), ("bullets", [...]),
#        ("table", header, rows, col_widths_mm), ("box", text) English summary, ("note", text).
HANDBOOK_PAGES: list[list[tuple]] = [
    # page 1 is the cover, drawn separately
    [],
    [
        ("h1", "第一章 总则  General Provisions"),
        ("h2", "1.1 适用范围"),
        ("p", "本手册适用于与星河科技有限公司（以下简称“公司”）签订劳动合同的全体员工，包括杭州总部及北京、深圳两家分公司。"
              "实习生和劳务派遣人员参照执行，双方另有书面约定的除外。"),
        ("h2", "1.2 手册的效力"),
        ("p", "本手册经职工代表大会讨论通过，自 2024 年 1 月 1 日起施行，2021 年版同时废止。本手册与国家法律法规不一致的，"
              "以法律法规为准。本手册由人力资源部负责解释和修订。"),
        ("h2", "1.3 公司简介"),
        ("p", "星河科技成立于 2015 年，总部位于杭州市西湖区，专注于企业数据分析与可视化软件，现有员工约 420 人。"
              "公司的价值观是：客户第一、坦诚沟通、持续学习。"),
        ("h1", "第二章 入职与试用期  Onboarding and Probation"),
        ("h2", "2.1 入职手续"),
        ("p", "新员工应在报到当日携带以下材料到人力资源部办理入职手续："),
        ("bullets", [
            "身份证原件及复印件；",
            "最高学历、学位证书原件；",
            "上一家单位出具的离职证明；",
            "本人名下的招商银行储蓄卡（用于发放工资）。",
        ]),
        ("p", "电脑、工牌和办公系统账号在报到当日由行政部和 IT 部发放。"),
        ("h2", "2.2 试用期"),
        ("p", "公司标准劳动合同期限为三年，试用期为 3 个月。试用期工资为转正后月工资的 90%，社会保险和住房公积金自入职当月起缴纳。"),
        ("p", "试用期满前 15 天，由直属上级与人力资源部共同完成转正评估。表现突出的员工可申请提前转正，但实际试用时间不少于 1 个月。"),
        ("box", "In brief: the standard contract runs for three years with a probation period of 3 months, paid at 90% of "
                "the regular salary. The confirmation review takes place 15 days before probation ends."),
    ],
    [
        ("h1", "第三章 工作时间与考勤  Working Hours and Attendance"),
        ("h2", "3.1 标准工时"),
        ("p", "公司实行每周五天、每天 8 小时的标准工时制。标准上班时间为 9:00–18:00，其中 12:00–13:00 为午休时间。"),
        ("h2", "3.2 弹性工作"),
        ("p", "员工可在 8:30–10:00 之间弹性上班，下班时间相应顺延，须保证每日在岗满 8 小时。"
              "核心工作时间为 10:00–16:00，此期间所有员工须在岗或远程在线，团队会议原则上安排在核心工作时间内。"),
        ("h2", "3.3 考勤打卡"),
        ("p", "员工通过“星河办公”App 或办公室门禁打卡，上下班各打卡一次。每月忘记打卡超过 3 次的，超出部分每次按事假半天处理。"
              "晚于 10:00 到岗且未提前向直属上级报备的，记为迟到一次；每月迟到累计达到 4 次的，取消当月全勤奖（300 元）。"),
        ("h2", "3.4 加班与调休"),
        ("p", "加班须事先在 OA 系统提交加班申请并经直属上级批准，未经批准的不计为加班。"),
        ("bullets", [
            "工作日加班：优先安排调休，调休须在加班之日起 6 个月内使用完毕，逾期作废；",
            "休息日加班：安排同等时间补休，不能补休的按工资的 200% 支付加班费；",
            "法定节假日加班：按工资的 300% 支付加班费，不以调休代替。",
        ]),
        ("box", "In brief: standard hours are 9:00–18:00 with a lunch break from 12:00 to 13:00. You may start any time "
                "between 8:30 and 10:00; core hours are 10:00–16:00. Overtime needs prior approval in OA, and time off "
                "in lieu expires after 6 months."),
    ],
    [
        ("h1", "第四章 假期  Leave"),
        ("h2", "4.1 带薪年假"),
        ("p", "员工在本公司连续工作满 1 年后，按在本公司的工龄享受带薪年假，具体天数见下表。入职不满 1 年的员工，"
              "按当年剩余日历天数折算，折算后不足 1 整天的部分不计。"),
        ("table",
         ["在本公司工龄\nYears of service", "年假天数\nAnnual leave", "说明\nNotes"],
         [
             ["不满 1 年\nLess than 1 year", "按比例折算\nPro rata", "最多 5 天 / at most 5 days"],
             ["满 1 年不满 3 年\n1 to 3 years", "7 天\n7 days", "—"],
             ["满 3 年不满 5 年\n3 to 5 years", "10 天\n10 days", "—"],
             ["满 5 年不满 10 年\n5 to 10 years", "12 天\n12 days", "—"],
             ["满 10 年及以上\n10 years or more", "15 天\n15 days", "另加生日假 1 天 / plus a birthday day off"],
         ],
         [45, 40, 75]),
        ("note", "表 4-1  年假天数 Table 4-1 Annual leave by years of service"),
        ("h2", "4.2 年假的申请与结转"),
        ("bullets", [
            "年假以半天为最小单位，须至少提前 3 个工作日在 OA 系统提交申请，经直属上级批准后生效；",
            "连续休年假超过 5 个工作日的，须同时报部门总监批准；",
            "当年未休完的年假可结转至次年 3 月 31 日，逾期未休且非因公司原因的，视为自动放弃；",
            "员工离职时，未休年假按日工资的 200% 折算补偿（含正常工资）。",
        ]),
        ("box", "In brief: annual leave grows with service at Xinghe — 7 days after one year, 10 days after three "
                "years, 12 days after five years and 15 days after ten years. Apply in OA at least 3 working days "
                "ahead; unused days carry over until 31 March of the following year."),
    ],
    [
        ("h1", "第四章 假期（续）  Leave (continued)"),
        ("h2", "4.3 病假"),
        ("p", "员工因病需要休息的，应在当天 10:00 前通知直属上级，并在返岗后 3 个工作日内在 OA 系统补办请假手续。"),
        ("bullets", [
            "病假 1 天的，凭门诊病历或挂号记录即可申请；",
            "连续病假 2 天及以上的，须提供二级及以上医院出具的诊断证明书和病假建议单；",
            "住院的，须提供住院证明或出院小结。",
        ]),
        ("p", "每年前 5 天病假工资全额发放；超过 5 天的部分，按本人月工资的 80% 发放，且不低于杭州市最低工资标准的 80%。"
              "虚假病假一经查实，按严重违反公司规章制度处理。"),
        ("box", "In brief: tell your manager before 10:00 on the day you are ill. For one day a clinic record is "
                "enough; for two or more consecutive days you need a medical certificate from a Grade II or higher "
                "hospital. The first 5 sick days each year are paid in full."),
        ("h2", "4.4 其他假期"),
        ("table",
         ["假期类型\nLeave type", "天数\nDays", "薪酬\nPay", "所需材料\nDocuments"],
         [
             ["婚假\nMarriage leave", "13 天", "全薪", "结婚证"],
             ["产假\nMaternity leave", "158 天", "全薪（生育津贴）", "出生证明"],
             ["陪产假\nPaternity leave", "15 天", "全薪", "出生证明"],
             ["丧假\nBereavement leave", "3 天", "全薪", "关系证明"],
             ["事假\nPersonal leave", "全年累计不超过 10 天", "无薪", "—"],
         ],
         [38, 42, 38, 42]),
        ("note", "表 4-2  其他假期 Table 4-2 Other types of leave"),
    ],
    [
        ("h1", "第五章 费用报销  Expense Reimbursement"),
        ("h2", "5.1 报销时限"),
        ("p", "因公发生的费用，应在费用发生之日起 30 天内在 OA 系统提交报销申请，并将纸质发票及附件交至财务部。"
              "超过 30 天但未满 90 天的，须附部门总监签字的情况说明；超过 90 天的，不予报销。"
              "每年 12 月 20 日以后发生的费用，须在次年 1 月 10 日前提交。"),
        ("h2", "5.2 审批权限"),
        ("bullets", [
            "单笔 2,000 元（含）以下：直属上级审批；",
            "单笔 2,000 元至 10,000 元（含）：直属上级及部门总监审批；",
            "单笔超过 10,000 元：另须分管副总裁和财务总监审批。",
        ]),
        ("h2", "5.3 差旅标准"),
        ("table",
         ["城市类别\nCity tier", "住宿上限\nHotel cap", "伙食补助\nMeal allowance", "市内交通\nLocal transport"],
         [
             ["一线城市（北京、上海、广州、深圳）\nTier 1", "550 元/晚", "100 元/天", "实报实销"],
             ["省会城市及计划单列市\nProvincial capitals", "450 元/晚", "80 元/天", "实报实销"],
             ["其他城市\nOther cities", "350 元/晚", "60 元/天", "实报实销"],
         ],
         [62, 32, 34, 32]),
        ("note", "表 5-1  国内差旅标准 Table 5-1 Domestic travel limits (per person)"),
        ("p", "出差交通以高铁二等座、飞机经济舱为标准；经理及以上职级可乘坐高铁一等座。超标准部分由个人承担。"),
        ("h2", "5.4 付款"),
        ("p", "审批通过的报销款于每周四统一转入员工工资卡；遇法定节假日顺延至下一个工作日。"),
        ("box", "In brief: submit expense claims in OA within 30 days of the expense; claims older than 90 days are "
                "not reimbursed. Approved claims are paid to your salary card every Thursday."),
    ],
    [
        ("h1", "第六章 远程办公  Remote Work"),
        ("h2", "6.1 适用条件"),
        ("p", "已转正员工经直属上级同意，每周最多可远程办公 2 天。员工须至少提前 1 个工作日在 OA 系统提交“远程办公申请”。"
              "试用期员工及岗位须现场作业的员工（如前台、仓储）不适用远程办公。"),
        ("h2", "6.2 工作要求"),
        ("bullets", [
            "核心工作时间内保持企业微信在线，工作消息须在 15 分钟内回复；",
            "访问内部系统须使用公司 VPN，并遵守《信息安全政策》（XH-IT-POL-003）；",
            "不得在咖啡馆、机场等公共场所处理机密级及以上资料；",
            "每周一上午须参加部门例会（可线上参加）。",
        ]),
        ("h2", "6.3 设备与补贴"),
        ("p", "公司为远程办公员工提供笔记本电脑及显示器借用服务，并按实际远程办公天数发放网络补贴，每月最高 150 元，随当月工资发放。"),
        ("box", "In brief: after probation you may work remotely up to 2 days per week with your manager's approval. "
                "Apply in OA at least 1 working day ahead, stay online during core hours and use the company VPN."),
        ("h1", "第七章 附则与联系方式  Contacts"),
        ("p", "员工对本手册有疑问的，可咨询人力资源部（hr@xinghe-tech.example，分机 8200）；"
              "报销相关问题请咨询财务部（finance@xinghe-tech.example，分机 8300）。"),
    ],
]

HANDBOOK_TOC = [
    ("第一章 总则 General Provisions", 2),
    ("第二章 入职与试用期 Onboarding and Probation", 2),
    ("第三章 工作时间与考勤 Working Hours and Attendance", 3),
    ("第四章 假期 Leave", 4),
    ("第五章 费用报销 Expense Reimbursement", 6),
    ("第六章 远程办公 Remote Work", 7),
    ("第七章 附则与联系方式 Contacts", 7),
]


def _find_font() -> tuple[str, int]:
    for path, index in FONT_CANDIDATES:
        if Path(path).is_file():
            return path, index
    sys.exit(
        "No CJK TrueType font found for the PDF. On Debian/Ubuntu: apt-get install fonts-wqy-microhei "
        f"(looked for: {', '.join(p for p, _ in FONT_CANDIDATES)})"
    )


def make_handbook() -> None:
    from reportlab import rl_config
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import (
        ListFlowable,
        ListItem,
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    rl_config.invariant = 1
    font_path, font_index = _find_font()
    pdfmetrics.registerFont(TTFont("CJK", font_path, subfontIndex=font_index))

    navy = colors.HexColor("#1F3A5F")
    accent = colors.HexColor("#2E75B6")
    pale = colors.HexColor("#EAF1F8")
    grey = colors.HexColor("#5A5A5A")

    base = dict(fontName="CJK", wordWrap="CJK")
    st_body = ParagraphStyle("body", fontSize=10.5, leading=17, spaceAfter=5, textColor=colors.HexColor("#222222"), **base)
    st_h1 = ParagraphStyle("h1", fontSize=16, leading=22, spaceBefore=4, spaceAfter=8, textColor=navy, **base)
    st_h2 = ParagraphStyle("h2", fontSize=12, leading=17, spaceBefore=8, spaceAfter=4, textColor=accent, **base)
    st_cell = ParagraphStyle("cell", fontSize=9.5, leading=13.5, **base)
    st_head = ParagraphStyle("head", fontSize=9.5, leading=13.5, textColor=colors.white, **base)
    st_note = ParagraphStyle("note", fontSize=8.5, leading=12, textColor=grey, alignment=TA_CENTER, spaceBefore=3,
                             spaceAfter=6, **base)
    st_box = ParagraphStyle("box", fontSize=9.5, leading=14, textColor=navy, **base)

    def esc(s: str) -> str:
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br/>")

    class Heading(Paragraph):
        def __init__(self, text: str, style: ParagraphStyle, level: int):
            super().__init__(esc(text), style)
            self.outline = (level, text)

    class Doc(SimpleDocTemplate):
        heading_pages: dict[str, int]

        def afterFlowable(self, flowable):  # reportlab calls this after each flowable
            if isinstance(flowable, Heading):
                level, text = flowable.outline
                key = f"h{len(self.heading_pages)}"
                self.canv.bookmarkPage(key)
                self.canv.addOutlineEntry(text.replace("  ", " "), key, level=level, closed=False)
                self.heading_pages[text] = self.page

    width, height = A4
    margin = 22 * mm

    def draw_cover(canv, doc):
        canv.saveState()
        canv.setFillColor(navy)
        canv.rect(0, height - 95 * mm, width, 95 * mm, stroke=0, fill=1)
        canv.setFillColor(accent)
        canv.rect(0, height - 99 * mm, width, 4 * mm, stroke=0, fill=1)
        canv.setFillColor(colors.white)
        canv.setFont("CJK", 13)
        canv.drawString(margin, height - 30 * mm, f"{COMPANY_ZH}  {COMPANY_EN}")
        canv.setFont("CJK", 34)
        canv.drawString(margin, height - 55 * mm, "员工手册")
        canv.setFont("CJK", 20)
        canv.drawString(margin, height - 68 * mm, "Employee Handbook")
        canv.setFont("CJK", 11)
        canv.drawString(margin, height - 83 * mm, "2024 年版（第 3 版）  Edition 2024, version 3.0")
        canv.setFillColor(grey)
        canv.setFont("CJK", 9)
        canv.drawString(margin, 20 * mm, "文件编号 Document No.: XH-HR-001    生效日期 Effective: 2024-01-01    "
                                         "编制：人力资源部 Human Resources")
        canv.drawString(margin, 14 * mm, "本手册为虚构的示例文件，公司、人物与数据均为虚构。"
                                         "This handbook is a fictional sample document.")
        canv.restoreState()

    def draw_page(canv, doc):
        canv.saveState()
        canv.setStrokeColor(accent)
        canv.setLineWidth(0.8)
        canv.line(margin, height - 15 * mm, width - margin, height - 15 * mm)
        canv.setFont("CJK", 8.5)
        canv.setFillColor(grey)
        canv.drawString(margin, height - 13 * mm, f"{COMPANY_ZH} · 员工手册（2024 年版）")
        canv.drawRightString(width - margin, height - 13 * mm, "Xinghe Technology · Employee Handbook 2024")
        canv.line(margin, 15 * mm, width - margin, 15 * mm)
        canv.drawString(margin, 10 * mm, "XH-HR-001 v3.0 · 内部资料 Internal")
        canv.drawRightString(width - margin, 10 * mm,
                             f"第 {doc.page} 页 / 共 {len(HANDBOOK_PAGES)} 页   Page {doc.page} of {len(HANDBOOK_PAGES)}")
        canv.restoreState()

    def table(header, rows, widths):
        data = [[Paragraph(esc(c), st_head) for c in header]]
        data += [[Paragraph(esc(c), st_cell) for c in row] for row in rows]
        t = Table(data, colWidths=[w * mm for w in widths], repeatRows=1, hAlign="CENTER")
        t.setStyle(TableStyle([
            ("BACKGROUND", (0, 0), (-1, 0), navy),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, pale]),
            ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#B4C6DC")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 4),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ("LEFTPADDING", (0, 0), (-1, -1), 6),
        ]))
        return t

    def box(text):
        t = Table([[Paragraph(esc(text), st_box)]], colWidths=[width - 2 * margin])
        t.setStyle(TableStyle([
            ("BACKGROUND", (0, 0), (-1, -1), pale),
            ("LINEBEFORE", (0, 0), (0, -1), 3, accent),
            ("LEFTPADDING", (0, 0), (-1, -1), 10),
            ("TOPPADDING", (0, 0), (-1, -1), 7),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
        ]))
        return [Spacer(1, 6), t]

    story: list = []
    # Cover page: the page itself is drawn by draw_cover; the table of contents flows below the band.
    story.append(Spacer(1, 88 * mm))
    story.append(Paragraph("目录  Contents", st_h1))
    toc = Table([[Paragraph(esc(t), st_body), Paragraph(str(p), st_body)] for t, p in HANDBOOK_TOC],
                colWidths=[146 * mm, 20 * mm], hAlign="LEFT")
    toc.setStyle(TableStyle([
        ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor("#C8D3E0")),
        ("ALIGN", (1, 0), (1, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
    ]))
    story.append(toc)
    story.append(Spacer(1, 8 * mm))
    story.append(Paragraph(esc(
        "欢迎加入星河科技！本手册介绍公司的基本制度和员工的权利与义务，请仔细阅读并妥善保管。"
        "Welcome to Xinghe Technology. This handbook explains our basic policies and your rights and duties."), st_body))

    for page in HANDBOOK_PAGES[1:]:
        story.append(PageBreak())
        for item in page:
            kind = item[0]
            if kind == "h1":
                story.append(Heading(item[1], st_h1, 0))
            elif kind == "h2":
                story.append(Heading(item[1], st_h2, 1))
            elif kind == "p":
                story.append(Paragraph(esc(item[1]), st_body))
            elif kind == "bullets":
                story.append(ListFlowable(
                    [ListItem(Paragraph(esc(b), st_body), leftIndent=14, value="•") for b in item[1]],
                    bulletType="bullet", bulletFontName="CJK", bulletColor=accent, leftIndent=14))
            elif kind == "table":
                story.append(Spacer(1, 3))
                story.append(table(item[1], item[2], item[3]))
            elif kind == "note":
                story.append(Paragraph(esc(item[1]), st_note))
            elif kind == "box":
                story.extend(box(item[1]))
            else:
                raise ValueError(kind)

    out = OUT / HANDBOOK
    doc = Doc(
        str(out), pagesize=A4, leftMargin=margin, rightMargin=margin, topMargin=24 * mm, bottomMargin=22 * mm,
        title="员工手册 Employee Handbook 2024", author=f"{COMPANY_ZH} 人力资源部",
        subject="星河科技员工手册（虚构示例） Xinghe Technology employee handbook (fictional sample)",
        keywords="员工手册, 年假, 病假, 报销, 试用期, 远程办公, handbook", creator="QwenRAG samples/make_samples.py",
        invariant=1, lang="zh-CN",
    )
    doc.heading_pages = {}
    # invariant=1 fixes the file ID and dates; SOURCE_DATE_EPOCH makes the date a plausible one.
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(HANDBOOK_DATE.timestamp()))
    try:
        doc.build(story, onFirstPage=draw_cover, onLaterPages=draw_page)
    finally:
        if saved is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved

    # The plan must hold: exactly one PDF page per planned page, each chapter where the contents say.
    if doc.page != len(HANDBOOK_PAGES):
        sys.exit(f"handbook: {doc.page} pages, planned {len(HANDBOOK_PAGES)}: some page overflowed")
    for number, page in enumerate(HANDBOOK_PAGES, start=1):
        for item in page:
            if item[0] in ("h1", "h2") and doc.heading_pages[item[1]] != number:
                sys.exit(f"handbook: heading {item[1]!r} landed on page {doc.heading_pages[item[1]]}, planned {number}")


# --------------------------------------------------------------------------------------------------
# 2. IT security policy (DOCX)
# --------------------------------------------------------------------------------------------------

# ("h1"|"h2", text), ("p", text), ("bullets", [...]), ("table", caption, header, rows, widths_cm)
POLICY_BODY: list[tuple] = [
    ("h1", "1 Purpose and Scope"),
    ("h2", "1.1 Purpose"),
    ("p", "This policy sets the minimum requirements for protecting the information, systems and customer data of "
          "Xinghe Technology Co., Ltd. (\"the Company\"). It supports our ISO/IEC 27001 certification and our "
          "obligations under the PRC Cybersecurity Law and Personal Information Protection Law (PIPL)."),
    ("h2", "1.2 Scope"),
    ("p", "The policy applies to all employees, interns, contractors and third parties who use Company systems or "
          "handle Company data, in every office (Hangzhou, Beijing, Shenzhen) and when working remotely."),
    ("p", "本政策适用于公司全体员工、实习生、外包人员以及访问公司系统或数据的第三方。中英文表述不一致时，以英文版本为准。"),
    ("h2", "1.3 Roles and Responsibilities"),
    ("bullets", [
        "Chief Information Security Officer (CISO), Chen Jing: owns this policy and approves exceptions.",
        "IT Service Desk: operates accounts, devices and the VPN; first point of contact for users.",
        "Managers: make sure their teams complete the annual security training.",
        "Every employee: follows this policy and reports incidents without delay.",
    ]),
    ("h1", "2 Data Classification"),
    ("h2", "2.1 Classification Levels"),
    ("p", "All Company information is classified into one of four levels. The owner of the information assigns the "
          "level; when in doubt, choose the higher level."),
    ("table", "Table 1 – Data classification levels (数据分级)",
     ["Level", "Label", "Examples", "Handling rules"],
     [
         ["L1", "Public 公开", "Press releases, product brochures, job advertisements",
          "No restrictions. 无限制。"],
         ["L2", "Internal 内部", "Organisation charts, internal wiki pages, meeting minutes",
          "Share only inside the Company; do not post on public websites or social media. 仅限公司内部传阅。"],
         ["L3", "Confidential 机密", "Customer contracts, salary data, source code, personal information",
          "Encrypt before sending outside the Company; need-to-know access only; never send via personal "
          "e-mail or store in personal cloud drives. 对外发送须加密，禁止通过个人邮箱或个人网盘传输。"],
         ["L4", "Restricted 绝密", "Merger plans, encryption keys, unpublished financial results",
          "Named recipients only, approved by the CISO; keep on approved encrypted systems; printing "
          "is prohibited. 仅限指定人员，禁止打印。"],
     ],
     [1.4, 3.0, 5.0, 6.6]),
    ("h2", "2.2 Labelling"),
    ("p", "Documents classified L3 or L4 must show their label in the header or footer and in the e-mail subject "
          "line, for example “[Confidential 机密]”. Unlabelled documents are treated as Internal (L2)."),
    ("h1", "3 Passwords"),
    ("h2", "3.1 Complexity"),
    ("p", "Passwords protect access to every Company system. They must meet the rules in Table 2; passphrases "
          "made of several unrelated words are encouraged."),
    ("table", "Table 2 – Password rules (密码规则)",
     ["Rule", "Standard accounts", "Privileged accounts (administrators)"],
     [
         ["Minimum length", "12 characters", "16 characters"],
         ["Character types", "3 of 4: upper case, lower case, digits, symbols", "All 4 types"],
         ["Account lockout", "After 5 failed attempts", "After 3 failed attempts"],
         ["Password manager", "Recommended (Company Bitwarden)", "Required (Company Bitwarden)"],
     ],
     [4.0, 5.5, 6.5]),
    ("h2", "3.2 Rotation"),
    ("p", "Passwords of standard accounts must be changed every 90 days; passwords of privileged accounts every "
          "60 days. The system reminds you 14 days before expiry. The last 5 passwords cannot be reused. Change "
          "your password immediately if you suspect that someone else knows it."),
    ("h2", "3.3 Multi-factor Authentication"),
    ("p", "Multi-factor authentication (MFA) is mandatory for the VPN, for e-mail used outside the office network "
          "and for every administration console. Use the Xinghe Token app; SMS codes are allowed only as a "
          "fallback."),
    ("h2", "3.4 Sharing Passwords"),
    ("p", "Never share a password with anyone, including colleagues and IT staff. The IT Service Desk will never "
          "ask for your password. 任何人（包括 IT 人员）都不会索要您的密码。"),
    ("h1", "4 Devices and Remote Access"),
    ("h2", "4.1 Laptops and Workstations"),
    ("p", "Company laptops use full-disk encryption (BitLocker on Windows, FileVault on macOS). Screens lock "
          "automatically after 5 minutes of inactivity; lock your screen (Win+L) whenever you leave your desk."),
    ("h2", "4.2 Remote Access"),
    ("p", "Internal systems may only be reached from outside the office through the Company VPN with MFA. VPN "
          "sessions are disconnected automatically after 10 hours. Do not use public computers (hotel business "
          "centres, internet cafés) to access Company systems."),
    ("h2", "4.3 Removable Media"),
    ("p", "USB storage devices are blocked by default on Company computers. An exception requires a Service Desk "
          "ticket approved by your manager and the Information Security Office and is valid for at most 30 days. "
          "Only Company-issued encrypted USB drives may be used."),
    ("h2", "4.4 Lost or Stolen Devices"),
    ("p", "Report a lost or stolen laptop or phone to the IT Service Desk as soon as possible and in any case "
          "within 24 hours, so that it can be locked and wiped remotely."),
    ("h1", "5 E-mail and Internet Use"),
    ("h2", "5.1 Phishing"),
    ("p", "Do not open unexpected attachments or links. Report suspicious e-mails with the “Report Phishing” "
          "button in Outlook. The Company runs a phishing simulation every quarter; employees who fail two "
          "simulations in one year must repeat the security awareness training."),
    ("h2", "5.2 Cloud Storage and AI Tools"),
    ("p", "Company data must not be stored in personal cloud drives (for example Baidu Netdisk or a personal "
          "OneDrive). Do not paste Confidential (L3) or Restricted (L4) information into public AI chatbots or "
          "translation websites; use the Company's approved tools instead."),
    ("h1", "6 Incident Reporting"),
    ("h2", "6.1 What to Report"),
    ("p", "Report any event that may harm the confidentiality, integrity or availability of Company information, "
          "for example a suspected phishing e-mail that was opened, malware, a lost device, or data sent to the "
          "wrong recipient."),
    ("h2", "6.2 How and When to Report"),
    ("p", "Report a suspected incident within 1 hour of discovering it, by e-mail to security@xinghe-tech.example "
          "or by calling the security hotline on extension 8110 (staffed 24 hours a day). Do not try to "
          "investigate on your own and do not delete evidence."),
    ("p", "发现疑似安全事件后，须在 1 小时内通过邮件或安全热线（分机 8110）上报信息安全办公室，不要自行调查或删除证据。"),
    ("h2", "6.3 Severity Levels"),
    ("p", "The Information Security Office assigns a severity level to each incident and responds within the "
          "times in Table 3."),
    ("table", "Table 3 – Incident severity levels (事件分级)",
     ["Severity", "Description", "Example", "Response time"],
     [
         ["P1 Critical", "Business-wide outage or active attack", "Ransomware outbreak", "15 minutes"],
         ["P2 High", "Confidential data exposed or key system down", "Customer list sent to a wrong address",
          "2 hours"],
         ["P3 Medium", "Limited impact, contained", "Malware blocked on one laptop", "1 business day"],
         ["P4 Low", "No impact, for information", "Phishing e-mail reported, not opened", "5 business days"],
     ],
     [2.6, 5.0, 5.2, 3.2]),
    ("h1", "7 Data Retention and Disposal"),
    ("h2", "7.1 Retention Periods"),
    ("p", "Accounting records are kept for 30 years, personnel files for 2 years after an employee leaves, and "
          "system and security logs for at least 180 days. Personal information is deleted once its purpose has "
          "been fulfilled."),
    ("h2", "7.2 Disposal"),
    ("p", "Paper containing Internal or higher information goes into the locked shredding bins. Hard disks and "
          "SSDs are physically shredded by a certified vendor before any device leaves the Company; the "
          "certificate of destruction is kept for 3 years."),
    ("h1", "8 Compliance and Review"),
    ("h2", "8.1 Violations"),
    ("p", "Violations of this policy may lead to disciplinary action up to and including termination of "
          "employment, and may be reported to the authorities where the law requires."),
    ("h2", "8.2 Policy Review"),
    ("p", "The Information Security Office reviews this policy at least once a year. The next review is due in "
          "March 2025. Exceptions must be requested in writing and approved by the CISO."),
    ("h1", "Appendix A Revision History"),
    ("table", "Table 4 – Revision history",
     ["Version", "Date", "Changes", "Approved by"],
     [
         ["1.0", "2021-06-01", "First issue", "Chen Jing, CISO"],
         ["2.0", "2023-01-15", "Added multi-factor authentication and data classification labels", "Chen Jing, CISO"],
         ["2.1", "2024-03-01", "Added rules for AI tools; lockout for privileged accounts", "Chen Jing, CISO"],
     ],
     [2.0, 2.6, 8.2, 3.2]),
]


def make_policy() -> None:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_TAB_ALIGNMENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    doc = Document()
    navy = RGBColor(0x1F, 0x3A, 0x5F)

    def set_fonts(style, latin: str, east_asia: str, size: float | None = None, color=None, bold=None):
        style.font.name = latin
        rpr = style.element.get_or_add_rPr()
        rfonts = rpr.find(qn("w:rFonts"))
        if rfonts is None:
            rfonts = OxmlElement("w:rFonts")
            rpr.insert(0, rfonts)
        for attr in ("w:ascii", "w:hAnsi", "w:cs"):
            rfonts.set(qn(attr), latin)
        rfonts.set(qn("w:eastAsia"), east_asia)
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            rfonts.attrib.pop(qn(attr), None)
        if size is not None:
            style.font.size = Pt(size)
        if color is not None:
            style.font.color.rgb = color
        if bold is not None:
            style.font.bold = bold

    styles = doc.styles
    set_fonts(styles["Normal"], "Calibri", "Microsoft YaHei", 10.5)
    styles["Normal"].paragraph_format.space_after = Pt(6)
    styles["Normal"].paragraph_format.line_spacing = 1.15
    set_fonts(styles["Title"], "Calibri Light", "Microsoft YaHei", 24, navy)
    set_fonts(styles["Subtitle"], "Calibri", "Microsoft YaHei", 13, RGBColor(0x59, 0x59, 0x59))
    set_fonts(styles["Heading 1"], "Calibri", "Microsoft YaHei", 15, navy, True)
    set_fonts(styles["Heading 2"], "Calibri", "Microsoft YaHei", 12, RGBColor(0x2E, 0x75, 0xB6), True)
    set_fonts(styles["Caption"], "Calibri", "Microsoft YaHei", 9, RGBColor(0x59, 0x59, 0x59), False)
    styles["Heading 1"].paragraph_format.space_before = Pt(18)
    styles["Heading 2"].paragraph_format.space_before = Pt(10)

    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.5)
    section.top_margin, section.bottom_margin = Cm(2.5), Cm(2.2)
    text_width = section.page_width - section.left_margin - section.right_margin

    def field(run_parent, instr: str) -> None:
        run = run_parent.add_run()
        for kind, text in (("begin", None), ("instr", instr), ("separate", None), ("text", "1"), ("end", None)):
            if kind == "instr":
                el = OxmlElement("w:instrText")
                el.set(qn("xml:space"), "preserve")
                el.text = f" {text} "
            elif kind == "text":
                el = OxmlElement("w:t")
                el.text = text
            else:
                el = OxmlElement("w:fldChar")
                el.set(qn("w:fldCharType"), kind)
            run._r.append(el)
        for r in run_parent.runs:
            r.font.size = Pt(8.5)

    header = section.header.paragraphs[0]
    header.paragraph_format.tab_stops.add_tab_stop(text_width, WD_TAB_ALIGNMENT.RIGHT)
    run = header.add_run(f"{COMPANY_EN}  {COMPANY_ZH}\tXH-IT-POL-003 · Information Security Policy")
    run.font.size = Pt(8.5)
    run.font.color.rgb = RGBColor(0x59, 0x59, 0x59)

    footer = section.footer.paragraphs[0]
    footer.paragraph_format.tab_stops.add_tab_stop(text_width, WD_TAB_ALIGNMENT.RIGHT)
    footer.add_run("Classification: Internal 内部 · Version 2.1 · Fictional sample document\tPage ")
    field(footer, "PAGE")
    footer.add_run(" of ")
    field(footer, "NUMPAGES")

    doc.add_paragraph("Information Security Policy", style="Title")
    doc.add_paragraph("信息安全政策 · Xinghe Technology Co., Ltd. 星河科技有限公司", style="Subtitle")
    meta = doc.add_paragraph()
    for label, value in (("Document No.", "XH-IT-POL-003"), ("Version", "2.1"), ("Effective date", "1 March 2024"),
                         ("Owner", "Information Security Office 信息安全办公室")):
        r = meta.add_run(f"{label}: ")
        r.bold = True
        meta.add_run(f"{value}    ")
    doc.add_paragraph("This document is a fictional sample. 本文件为虚构示例。").runs[0].italic = True

    def shade(cell, fill: str) -> None:
        tcpr = cell._tc.get_or_add_tcPr()
        shd = OxmlElement("w:shd")
        shd.set(qn("w:val"), "clear")
        shd.set(qn("w:color"), "auto")
        shd.set(qn("w:fill"), fill)
        tcpr.append(shd)

    for item in POLICY_BODY:
        kind = item[0]
        if kind == "h1":
            doc.add_heading(item[1], level=1)
        elif kind == "h2":
            doc.add_heading(item[1], level=2)
        elif kind == "p":
            doc.add_paragraph(item[1])
        elif kind == "bullets":
            for b in item[1]:
                doc.add_paragraph(b, style="List Bullet")
        elif kind == "table":
            _, caption, head, rows, widths = item
            doc.add_paragraph(caption, style="Caption")
            t = doc.add_table(rows=1 + len(rows), cols=len(head))
            t.style = styles["Table Grid"]
            t.alignment = WD_TABLE_ALIGNMENT.CENTER
            for r_i, values in enumerate([head, *rows]):
                row = t.rows[r_i]
                for c_i, value in enumerate(values):
                    cell = row.cells[c_i]
                    cell.width = Cm(widths[c_i])
                    para = cell.paragraphs[0]
                    para.paragraph_format.space_after = Pt(0)
                    run = para.add_run(value)
                    run.font.size = Pt(9.5)
                    if r_i == 0:
                        run.bold = True
                        run.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
                        shade(cell, "1F3A5F")
                    elif r_i % 2 == 0:
                        shade(cell, "EAF1F8")
            # repeat the header row on each page
            trpr = t.rows[0]._tr.get_or_add_trPr()
            hdr = OxmlElement("w:tblHeader")
            trpr.append(hdr)
            doc.add_paragraph()
        else:
            raise ValueError(kind)

    cp = doc.core_properties
    cp.title = "Information Security Policy"
    cp.subject = "XH-IT-POL-003 信息安全政策 (fictional sample)"
    cp.author = "Information Security Office"
    cp.last_modified_by = "Chen Jing"
    cp.keywords = "security, passwords, data classification, incident, 信息安全"
    cp.category = "Policy"
    cp.comments = "Fictional sample document generated by samples/make_samples.py"
    cp.created = FIXED
    cp.modified = FIXED
    cp.last_printed = FIXED
    cp.revision = 7
    cp.language = "en-US"
    cp.identifier = "XH-IT-POL-003"
    cp.version = "2.1"

    out = OUT / POLICY
    doc.save(str(out))

    def patch(name: str, data: bytes) -> bytes:
        if name == "_rels/.rels":  # the template's thumbnail would show a blank page in Explorer
            data = re.sub(rb"<Relationship [^>]*thumbnail[^>]*/>", b"", data)
        if name == "docProps/core.xml":
            data = fix_core_dates(data)
        return data

    normalize_zip(out, drop=("docProps/thumbnail.jpeg",), patch=patch)


# --------------------------------------------------------------------------------------------------
# 3. Workbook (XLSX)
# --------------------------------------------------------------------------------------------------

D = dt.date

# 报销单号, 提交日期, 员工, 部门, 类别, 事由, 金额, 状态, 备注
EXPENSES: list[tuple] = [
    ("BX-2024-0001", D(2024, 1, 3), "张伟", "销售部", "差旅费", "上海客户拜访（高铁、住宿 2 晚）", 1860.00, "已支付", ""),
    ("BX-2024-0002", D(2024, 1, 4), "李娜", "市场部", "会议费", "年度客户答谢会场地定金", 8000.00, "已支付", "合同 HT-2023-118"),
    ("BX-2024-0003", D(2024, 1, 5), "王芳", "研发部", "培训费", "云原生架构师认证考试", 2400.00, "已支付", ""),
    ("BX-2024-0004", D(2024, 1, 8), "赵磊", "行政部", "办公用品", "打印纸、硒鼓", 1236.80, "已支付", ""),
    ("BX-2024-0005", D(2024, 1, 9), "周杰", "销售部", "业务招待费", "宁波客户商务午餐", 688.00, "已支付", ""),
    ("BX-2024-0006", D(2024, 1, 10), "刘洋", "研发部", "交通费", "加班打车（1 月上旬）", 214.50, "已支付", ""),
    ("BX-2024-0007", D(2024, 1, 12), "吴敏", "人力资源部", "招聘费", "浙江大学校园招聘展位", 3500.00, "已支付", ""),
    ("BX-2024-0008", D(2024, 1, 15), "郑浩", "产品部", "差旅费", "深圳用户调研（机票、住宿 3 晚）", 4120.00, "已支付", ""),
    ("BX-2024-0009", D(2024, 1, 16), "孙悦", "财务部", "通讯费", "1 月手机话费", 199.00, "已支付", ""),
    ("BX-2024-0010", D(2024, 1, 18), "黄丽", "市场部", "广告费", "行业媒体投放（1 月）", 6800.00, "已支付", ""),
    ("BX-2024-0011", D(2024, 1, 22), "张伟", "销售部", "业务招待费", "杭州客户晚宴", 1580.00, "已支付", ""),
    ("BX-2024-0012", D(2024, 1, 24), "何俊", "IT部", "办公用品", "网线、转换头等配件", 386.50, "已支付", ""),
    ("BX-2024-0013", D(2024, 1, 26), "陈静", "信息安全办公室", "培训费", "CISSP 继续教育课程", 2980.00, "已支付", ""),
    ("BX-2024-0014", D(2024, 1, 29), "王芳", "研发部", "交通费", "机场往返打车", 326.00, "已支付", ""),
    ("BX-2024-0015", D(2024, 2, 1), "周杰", "销售部", "差旅费", "北京客户投标（机票、住宿 2 晚）", 3650.00, "已支付", ""),
    ("BX-2024-0016", D(2024, 2, 2), "赵磊", "行政部", "福利费", "春节员工慰问品", 9600.00, "已支付", "总监已审批"),
    ("BX-2024-0017", D(2024, 2, 5), "李娜", "市场部", "差旅费", "广州展会布展（住宿 3 晚）", 2850.00, "已支付", ""),
    ("BX-2024-0018", D(2024, 2, 6), "刘洋", "研发部", "软件订阅", "代码托管服务年费", 1299.00, "已支付", ""),
    ("BX-2024-0019", D(2024, 2, 19), "郑浩", "产品部", "餐费", "需求评审会工作餐", 432.00, "已支付", ""),
    ("BX-2024-0020", D(2024, 2, 20), "吴敏", "人力资源部", "培训费", "新员工入职培训教材印刷", 1150.00, "已支付", ""),
    ("BX-2024-0021", D(2024, 2, 21), "张伟", "销售部", "交通费", "温州客户拜访自驾油费、过路费", 468.00, "审批中", ""),
    ("BX-2024-0022", D(2024, 2, 22), "孙悦", "财务部", "办公用品", "财务凭证装订机", 780.00, "已支付", ""),
    ("BX-2024-0023", D(2024, 2, 23), "黄丽", "市场部", "业务招待费", "渠道伙伴晚宴（2023 年 10 月）", 2360.00, "已驳回",
     "超过 90 天未提交，不予报销"),
    ("BX-2024-0024", D(2024, 2, 26), "何俊", "IT部", "软件订阅", "远程协助工具 20 个授权", 4800.00, "已支付", ""),
    ("BX-2024-0025", D(2024, 2, 27), "王芳", "研发部", "差旅费", "成都技术大会（机票、住宿 2 晚）", 3280.00, "已支付", ""),
    ("BX-2024-0026", D(2024, 2, 28), "周杰", "销售部", "餐费", "客户驻场支持餐费", 256.00, "已支付", ""),
    ("BX-2024-0027", D(2024, 3, 1), "陈静", "信息安全办公室", "咨询费", "渗透测试第三方复核", 9800.00, "审批中", "待财务总监审批"),
    ("BX-2024-0028", D(2024, 3, 4), "赵磊", "行政部", "维修费", "3 楼空调维修", 980.00, "已支付", ""),
    ("BX-2024-0029", D(2024, 3, 5), "李娜", "市场部", "广告费", "搜索引擎推广（3 月）", 5200.00, "审批中", ""),
    ("BX-2024-0030", D(2024, 3, 6), "刘洋", "研发部", "差旅费", "南京客户部署（高铁、住宿 1 晚）", 1045.00, "已支付", ""),
    ("BX-2024-0031", D(2024, 3, 7), "郑浩", "产品部", "办公用品", "可用性测试用耳机", 598.00, "已支付", ""),
    ("BX-2024-0032", D(2024, 3, 8), "吴敏", "人力资源部", "福利费", "三八节活动用品", 1680.00, "已支付", ""),
    ("BX-2024-0033", D(2024, 3, 11), "张伟", "销售部", "差旅费", "上海客户签约（高铁、住宿 1 晚）", 1320.00, "审批中", ""),
    ("BX-2024-0034", D(2024, 3, 12), "孙悦", "财务部", "培训费", "新收入准则培训", 1800.00, "已支付", ""),
    ("BX-2024-0035", D(2024, 3, 13), "何俊", "IT部", "交通费", "数据中心巡检打车", 173.00, "已支付", ""),
    ("BX-2024-0036", D(2024, 3, 15), "黄丽", "市场部", "餐费", "直播活动工作餐", 540.00, "已驳回", "发票抬头错误，请重新开具"),
    ("BX-2024-0037", D(2024, 3, 18), "王芳", "研发部", "办公用品", "机械键盘（人体工学）", 899.00, "已驳回", "个人用品，不属于报销范围"),
    ("BX-2024-0038", D(2024, 3, 20), "周杰", "销售部", "业务招待费", "苏州客户商务宴请", 1960.00, "审批中", ""),
    ("BX-2024-0039", D(2024, 3, 25), "郑浩", "产品部", "差旅费", "西安用户回访（机票、住宿 2 晚）", 2740.00, "审批中", ""),
    ("BX-2024-0040", D(2024, 3, 28), "赵磊", "行政部", "快递费", "3 月合同快递", 312.00, "已支付", ""),
]

# 资产编号, 资产名称, 类别, 品牌型号, 使用人, 部门, 存放地点, 购入日期, 原值, 残值率, 折旧年限
ASSETS: list[tuple] = [
    ("XH-IT-0001", "笔记本电脑", "电子设备", "ThinkPad X1 Carbon Gen 11", "张伟", "销售部", "杭州总部 12F", D(2023, 5, 8), 12999.00, 0.05, 4),
    ("XH-IT-0002", "笔记本电脑", "电子设备", "ThinkPad T14 Gen 4", "王芳", "研发部", "杭州总部 11F", D(2023, 7, 3), 8499.00, 0.05, 4),
    ("XH-IT-0003", "激光打印机", "办公设备", "HP LaserJet Pro 4104dw", "赵磊", "行政部", "杭州总部 3F 打印室", D(2022, 3, 15), 4000.00, 0.05, 5),
    ("XH-IT-0004", "笔记本电脑", "电子设备", "MacBook Pro 14 M3", "郑浩", "产品部", "杭州总部 12F", D(2024, 1, 10), 14999.00, 0.05, 4),
    ("XH-IT-0005", "台式工作站", "电子设备", "Dell Precision 3660", "刘洋", "研发部", "杭州总部 11F", D(2022, 9, 20), 15800.00, 0.05, 5),
    ("XH-IT-0006", "显示器", "电子设备", "Dell U2723QE 27 英寸", "刘洋", "研发部", "杭州总部 11F", D(2022, 9, 20), 3699.00, 0.05, 5),
    ("XH-IT-0007", "显示器", "电子设备", "Dell P2422H 24 英寸", "孙悦", "财务部", "杭州总部 10F", D(2022, 6, 15), 1399.00, 0.05, 5),
    ("XH-IT-0008", "笔记本电脑", "电子设备", "ThinkPad E14 Gen 5", "孙悦", "财务部", "杭州总部 10F", D(2023, 11, 6), 5299.00, 0.05, 4),
    ("XH-IT-0009", "笔记本电脑", "电子设备", "ThinkPad X1 Carbon Gen 11", "李娜", "市场部", "杭州总部 12F", D(2023, 5, 8), 12999.00, 0.05, 4),
    ("XH-IT-0010", "服务器", "电子设备", "华为 FusionServer 2288H V6", "何俊", "IT部", "杭州总部机房 B1", D(2021, 12, 1), 68000.00, 0.05, 5),
    ("XH-IT-0011", "交换机", "网络设备", "华为 S5735-L48T4X", "何俊", "IT部", "杭州总部机房 B1", D(2021, 12, 1), 9800.00, 0.05, 5),
    ("XH-IT-0012", "防火墙", "网络设备", "深信服 AF-1000", "陈静", "信息安全办公室", "杭州总部机房 B1", D(2023, 2, 14), 36000.00, 0.05, 5),
    ("XH-IT-0013", "笔记本电脑", "电子设备", "MacBook Air 13 M2", "黄丽", "市场部", "杭州总部 12F", D(2023, 3, 27), 8999.00, 0.05, 4),
    ("XH-IT-0014", "平板电脑", "电子设备", "iPad Pro 11", "周杰", "销售部", "杭州总部 12F", D(2023, 8, 21), 6799.00, 0.05, 3),
    ("XH-IT-0015", "投影仪", "会议设备", "爱普生 CB-FH52", "赵磊", "行政部", "杭州总部 12F 银河厅", D(2021, 4, 12), 5600.00, 0.05, 5),
    ("XH-IT-0016", "视频会议终端", "会议设备", "Poly Studio X50", "赵磊", "行政部", "杭州总部 12F 银河厅", D(2022, 10, 9), 18500.00, 0.05, 5),
    ("XH-IT-0017", "笔记本电脑", "电子设备", "ThinkPad T14 Gen 4", "吴敏", "人力资源部", "杭州总部 10F", D(2023, 7, 3), 8499.00, 0.05, 4),
    ("XH-IT-0018", "笔记本电脑", "电子设备", "ThinkPad T14 Gen 4", "何俊", "IT部", "杭州总部 10F", D(2023, 7, 3), 8499.00, 0.05, 4),
    ("XH-IT-0019", "移动硬盘（加密）", "电子设备", "Kingston IronKey 1TB", "陈静", "信息安全办公室", "杭州总部 10F 保险柜", D(2023, 2, 14), 2600.00, 0.05, 3),
    ("XH-IT-0020", "无线接入点", "网络设备", "华为 AirEngine 5761-11", "何俊", "IT部", "杭州总部 10-12F", D(2022, 5, 30), 2180.00, 0.05, 5),
    ("XH-IT-0021", "笔记本电脑", "电子设备", "ThinkPad X13 Gen 4", "（闲置）", "IT部", "IT 备机库", D(2023, 9, 11), 7299.00, 0.05, 4),
    ("XH-OF-0001", "人体工学椅", "办公家具", "Herman Miller Aeron", "王芳", "研发部", "杭州总部 11F", D(2022, 8, 1), 9800.00, 0.05, 8),
    ("XH-OF-0002", "升降办公桌", "办公家具", "乐歌 E5", "刘洋", "研发部", "杭州总部 11F", D(2022, 8, 1), 2699.00, 0.05, 8),
    ("XH-OF-0003", "会议桌", "办公家具", "定制 20 人会议桌", "赵磊", "行政部", "杭州总部 12F 银河厅", D(2019, 6, 18), 16000.00, 0.05, 10),
    ("XH-OF-0004", "文件保险柜", "办公家具", "得力 4075", "孙悦", "财务部", "杭州总部 10F 财务室", D(2020, 3, 9), 3200.00, 0.05, 10),
    ("XH-OF-0005", "咖啡机", "办公设备", "德龙 ECAM 22.110", "赵磊", "行政部", "杭州总部 11F 茶水间", D(2023, 12, 4), 3999.00, 0.05, 5),
    ("XH-BJ-0001", "笔记本电脑", "电子设备", "ThinkPad T14 Gen 4", "周杰", "销售部", "北京分公司", D(2023, 7, 3), 8499.00, 0.05, 4),
    ("XH-BJ-0002", "激光打印机", "办公设备", "兄弟 HL-L5100DN", "周杰", "销售部", "北京分公司", D(2021, 11, 22), 2600.00, 0.05, 5),
    ("XH-SZ-0001", "笔记本电脑", "电子设备", "ThinkPad T14 Gen 4", "郑浩", "产品部", "深圳分公司", D(2023, 7, 3), 8499.00, 0.05, 4),
    ("XH-SZ-0002", "显示器", "电子设备", "AOC U27P2 27 英寸", "郑浩", "产品部", "深圳分公司", D(2023, 7, 3), 1899.00, 0.05, 5),
]

# Department (English), 部门, cost centre, Q1 budget, owner
BUDGET: list[tuple] = [
    ("Sales", "销售部", "CC-100", 16000, "Zhou Jie"),
    ("Marketing", "市场部", "CC-200", 28000, "Li Na"),
    ("R&D", "研发部", "CC-300", 12000, "Wang Fang"),
    ("Product", "产品部", "CC-350", 9000, "Zheng Hao"),
    ("Administration", "行政部", "CC-400", 14000, "Zhao Lei"),
    ("Finance", "财务部", "CC-500", 4000, "Sun Yue"),
    ("Human Resources", "人力资源部", "CC-600", 7000, "Wu Min"),
    ("IT", "IT部", "CC-700", 6000, "He Jun"),
    ("Information Security", "信息安全办公室", "CC-710", 15000, "Chen Jing"),
]

EXPENSE_SHEET, ASSET_SHEET, BUDGET_SHEET = "报销明细", "固定资产", "Budget Q1 2024"
EXPENSE_FIRST_ROW = 4  # title, subtitle, header
ASSET_FIRST_ROW = 3  # title, header
BUDGET_FIRST_ROW = 3  # title, header


def make_workbook() -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    title_font = Font(name="微软雅黑", size=14, bold=True, color="FFFFFF")
    title_fill = PatternFill("solid", fgColor="1F3A5F")
    head_font = Font(name="微软雅黑", size=10.5, bold=True, color="1F3A5F")
    head_fill = PatternFill("solid", fgColor="D9E4F0")
    body_font = Font(name="微软雅黑", size=10)
    sub_font = Font(name="微软雅黑", size=9, italic=True, color="595959")
    thin = Side(style="thin", color="B4C6DC")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    center = Alignment(horizontal="center", vertical="center")
    money = '"¥"#,##0.00'
    cached: dict[str, dict[str, float]] = {}  # sheet title -> cell ref -> cached value

    def title_rows(ws, title: str, ncols: int, subtitle: str | None) -> int:
        last = get_column_letter(ncols)
        ws.merge_cells(f"A1:{last}1")
        ws["A1"] = title
        ws["A1"].font, ws["A1"].fill, ws["A1"].alignment = title_font, title_fill, center
        ws.row_dimensions[1].height = 30
        row = 2
        if subtitle:
            ws.merge_cells(f"A2:{last}2")
            ws["A2"] = subtitle
            ws["A2"].font = sub_font
            ws["A2"].alignment = Alignment(horizontal="right")
            row = 3
        return row

    def header(ws, row: int, names: list[str], widths: list[float]) -> None:
        for col, (name, width) in enumerate(zip(names, widths, strict=True), start=1):
            c = ws.cell(row=row, column=col, value=name)
            c.font, c.fill, c.border = head_font, head_fill, border
            c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            ws.column_dimensions[get_column_letter(col)].width = width
        ws.row_dimensions[row].height = 22

    def body(cell, fmt: str | None = None) -> None:
        cell.font, cell.border = body_font, border
        if fmt:
            cell.number_format = fmt

    # ---- 报销明细 -------------------------------------------------------------------------------
    ws = wb.active
    ws.title = EXPENSE_SHEET
    hr = title_rows(ws, f"{COMPANY_ZH} 2024 年第一季度费用报销明细", 9,
                    "币种：人民币（元）    制表：财务部    数据截至 2024-03-31")
    header(ws, hr, ["报销单号", "提交日期", "员工", "部门", "类别", "事由", "金额", "状态", "备注"],
           [14, 12, 8, 14, 11, 34, 12, 8, 26])
    assert hr + 1 == EXPENSE_FIRST_ROW
    status_color = {"已支付": "2E7D32", "审批中": "B26A00", "已驳回": "C62828"}
    for i, rec in enumerate(EXPENSES):
        r = EXPENSE_FIRST_ROW + i
        for col, value in enumerate(rec, start=1):
            c = ws.cell(row=r, column=col, value=value if value != "" else None)
            body(c, {2: "yyyy-mm-dd", 7: money}.get(col))
        ws.cell(row=r, column=8).font = Font(name="微软雅黑", size=10, color=status_color[rec[7]])
    last = EXPENSE_FIRST_ROW + len(EXPENSES) - 1
    total_row = last + 1
    ws.cell(row=total_row, column=6, value="合计").font = head_font
    ws.cell(row=total_row, column=6).alignment = Alignment(horizontal="right")
    c = ws.cell(row=total_row, column=7, value=f"=SUM(G{EXPENSE_FIRST_ROW}:G{last})")
    body(c, money)
    c.font = head_font
    cached[EXPENSE_SHEET] = {f"G{total_row}": excel_round(sum(e[6] for e in EXPENSES), 2)}
    ws.freeze_panes = f"A{EXPENSE_FIRST_ROW}"
    ws.auto_filter.ref = f"A{hr}:I{last}"

    # ---- 固定资产 -------------------------------------------------------------------------------
    ws = wb.create_sheet(ASSET_SHEET)
    hr = title_rows(ws, f"{COMPANY_ZH} 固定资产台账（截至 2024-03-31）", 12, None)
    header(ws, hr, ["资产编号", "资产名称", "类别", "品牌型号", "使用人", "部门", "存放地点", "购入日期", "原值",
                    "残值率", "折旧年限（年）", "年折旧额"],
           [13, 16, 10, 27, 10, 14, 20, 12, 13, 8, 9, 12])
    assert hr + 1 == ASSET_FIRST_ROW
    cached[ASSET_SHEET] = {}
    for i, rec in enumerate(ASSETS):
        r = ASSET_FIRST_ROW + i
        for col, value in enumerate(rec, start=1):
            body(ws.cell(row=r, column=col, value=value), {8: "yyyy-mm-dd", 9: money, 10: "0%"}.get(col))
        c = ws.cell(row=r, column=12, value=f"=ROUND(I{r}*(1-J{r})/K{r},2)")
        body(c, money)
        cached[ASSET_SHEET][f"L{r}"] = excel_round(rec[8] * (1 - rec[9]) / rec[10], 2)
    ws.freeze_panes = f"B{ASSET_FIRST_ROW}"
    ws.auto_filter.ref = f"A{hr}:L{ASSET_FIRST_ROW + len(ASSETS) - 1}"

    # ---- Budget Q1 2024 (English) ---------------------------------------------------------------
    ws = wb.create_sheet(BUDGET_SHEET)
    hr = title_rows(ws, "Xinghe Technology — Q1 2024 Expense Budget vs. Actual (CNY)", 7, None)
    header(ws, hr, ["Department", "部门", "Cost Center", "Q1 Budget", "Q1 Actual", "Utilization", "Budget Owner"],
           [20, 16, 12, 14, 14, 12, 16])
    assert hr + 1 == BUDGET_FIRST_ROW
    cached[BUDGET_SHEET] = {}
    exp_rng = f"'{EXPENSE_SHEET}'!$G${EXPENSE_FIRST_ROW}:$G${last}"
    dept_rng = f"'{EXPENSE_SHEET}'!$D${EXPENSE_FIRST_ROW}:$D${last}"
    stat_rng = f"'{EXPENSE_SHEET}'!$H${EXPENSE_FIRST_ROW}:$H${last}"
    for i, (dept_en, dept_zh, cc, budget, owner) in enumerate(BUDGET):
        r = BUDGET_FIRST_ROW + i
        for col, value in enumerate((dept_en, dept_zh, cc, budget), start=1):
            body(ws.cell(row=r, column=col, value=value), money if col == 4 else None)
        actual = excel_round(sum(e[6] for e in EXPENSES if e[3] == dept_zh and e[7] != "已驳回"), 2)
        c = ws.cell(row=r, column=5, value=f'=SUMIFS({exp_rng},{dept_rng},B{r},{stat_rng},"<>已驳回")')
        body(c, money)
        cached[BUDGET_SHEET][f"E{r}"] = actual
        c = ws.cell(row=r, column=6, value=f"=IF(D{r}=0,0,E{r}/D{r})")
        body(c, "0.0%")
        cached[BUDGET_SHEET][f"F{r}"] = actual / budget
        body(ws.cell(row=r, column=7, value=owner))
    last_b = BUDGET_FIRST_ROW + len(BUDGET) - 1
    tr = last_b + 1
    ws.cell(row=tr, column=1, value="Total").font = head_font
    for col, letter in ((4, "D"), (5, "E")):
        c = ws.cell(row=tr, column=col, value=f"=SUM({letter}{BUDGET_FIRST_ROW}:{letter}{last_b})")
        body(c, money)
        c.font = head_font
    tot_budget = sum(b[3] for b in BUDGET)
    tot_actual = excel_round(sum(cached[BUDGET_SHEET][f"E{BUDGET_FIRST_ROW + i}"] for i in range(len(BUDGET))), 2)
    cached[BUDGET_SHEET][f"D{tr}"] = tot_budget
    cached[BUDGET_SHEET][f"E{tr}"] = tot_actual
    c = ws.cell(row=tr, column=6, value=f"=IF(D{tr}=0,0,E{tr}/D{tr})")
    body(c, "0.0%")
    c.font = head_font
    cached[BUDGET_SHEET][f"F{tr}"] = tot_actual / tot_budget
    ws.cell(row=tr + 2, column=1, value="Q1 Actual = claims in 报销明细 that were not rejected (已驳回). "
                                         "Fictional sample data.").font = sub_font
    ws.freeze_panes = f"A{BUDGET_FIRST_ROW}"

    for sheet in wb.worksheets:
        sheet.sheet_view.zoomScale = 100
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.page_setup.fitToWidth = 1
        sheet.print_title_rows = "1:3" if sheet.title == EXPENSE_SHEET else "1:2"

    props = wb.properties
    props.title = "资产与报销 Assets and Expenses 2024 Q1"
    props.subject = "Fictional sample workbook of Xinghe Technology"
    props.creator = "财务部 Finance"
    props.lastModifiedBy = "孙悦 Sun Yue"
    props.keywords = "报销, 固定资产, budget"
    props.created = FIXED
    props.modified = FIXED
    props.language = "zh-CN"

    out = OUT / WORKBOOK
    wb.save(str(out))

    # openpyxl writes formulas without results; add them as <v> (what Excel would have cached).
    with zipfile.ZipFile(out) as z:
        wb_xml = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    sheet_files: dict[str, str] = {}
    for name, rid in re.findall(r'<sheet [^>]*name="([^"]+)"[^>]*r:id="([^"]+)"', wb_xml):
        target = re.search(rf'<Relationship [^>]*Id="{rid}"[^>]*Target="([^"]+)"', rels) or \
            re.search(rf'<Relationship [^>]*Target="([^"]+)"[^>]*Id="{rid}"', rels)
        path = target.group(1).lstrip("/")
        sheet_files[path if path.startswith("xl/") else f"xl/{path}"] = name

    def patch(name: str, data: bytes) -> bytes:
        if name == "docProps/core.xml":
            return fix_core_dates(data)
        if name not in sheet_files:
            return data
        values = cached.get(sheet_files[name], {})
        text = data.decode()
        done: set[str] = set()

        def add_value(m: re.Match) -> str:
            ref = m.group(2)
            if ref not in values:
                raise SystemExit(f"workbook: no cached value for {sheet_files[name]}!{ref}")
            done.add(ref)
            value = float(values[ref])
            shown = str(int(value)) if value.is_integer() else repr(value)
            return f"{m.group(1)}<f>{m.group(3)}</f><v>{shown}</v></c>"

        text = re.sub(r'(<c r="([A-Z]+[0-9]+)"[^>]*>)<f>(.*?)</f>(?:<v\s*/>|<v></v>)?</c>', add_value, text)
        if done != set(values):
            raise SystemExit(f"workbook: formulas not found for {sorted(set(values) - done)}")
        return text.encode()

    normalize_zip(out, patch=patch)


# --------------------------------------------------------------------------------------------------
# 4. FAQ (GBK text) and guide (Markdown)
# --------------------------------------------------------------------------------------------------

FAQ_SECTIONS: list[tuple[str, list[tuple[str, str]]]] = [
    ("VPN 与远程访问", [
        ("VPN 客户端在哪里下载？",
         "在公司电脑上打开内网“软件中心”（soft.xinghe.local），搜索“星河安全接入”即可一键安装；个人电脑请勿安装。"),
        ("VPN 登录需要输入什么？",
         "输入域账号（如 zhang.wei）和域密码，再输入“星河令牌”App 上显示的 6 位动态验证码。"),
        ("VPN 连上了但打不开内网网站怎么办？",
         "先断开 VPN 并重新连接；仍然打不开的，请在命令行执行 ipconfig /flushdns 后重试，或联系 IT 服务台。"),
        ("出国出差期间能用 VPN 吗？",
         "可以，但须至少提前 5 个工作日在 IT 服务台提交“境外访问申请”，否则境外 IP 会被自动拦截。"),
        ("手机可以连 VPN 吗？",
         "可以。在手机应用商店安装“星河安全接入”移动版，仅允许登录企业微信和邮箱，不能访问研发代码库。"),
    ]),
    ("打印机与办公设备", [
        ("如何添加办公室的打印机？",
         "Windows 电脑：打开“设置 → 蓝牙和其他设备 → 打印机和扫描仪”，添加 \\\\print.xinghe.local\\3F-HP；"
         "Mac 电脑请使用软件中心里的“打印机一键配置”。"),
        ("打印机卡纸了怎么办？",
         "打开打印机前盖，按绿色把手指示的方向轻轻抽出卡住的纸张，不要用力硬拉；仍无法解决的，请联系行政前台（分机 8001）。"),
        ("彩色打印需要申请吗？",
         "需要。彩色打印默认关闭，每人每月可申请 50 页彩色配额，超出部分需部门负责人在 OA 审批。"),
        ("扫描的文件会发到哪里？",
         "在打印机面板上选择“扫描到邮箱”，文件会以 PDF 格式发送到本人的公司邮箱，单个文件不超过 20 MB。"),
        ("会议室的投影仪没有信号怎么办？",
         "检查 HDMI 线是否插紧，并在电脑上按 Win+P 选择“复制”；仍无信号请联系行政部。"),
    ]),
    ("账号与密码", [
        ("忘记域账号密码怎么办？",
         "访问 password.xinghe.local，通过绑定的手机号接收验证码即可自助重置，无需联系 IT。"),
        ("账号被锁定了怎么办？",
         "连续输错密码导致锁定后，30 分钟后会自动解锁；急需使用的，可联系 IT 服务台人工解锁。"),
        ("可以把密码告诉同事代为处理工作吗？",
         "不可以。任何情况下都不得共享账号和密码，需要他人协助时请在 OA 申请临时授权。"),
        ("新员工的邮箱账号什么时候开通？",
         "人力资源部在入职前一个工作日提交开通申请，报到当天上午即可登录。"),
    ]),
    ("Wi-Fi 与网络", [
        ("办公室的 Wi-Fi 叫什么？",
         "员工请连接“XH-Staff”，使用域账号和域密码登录；访客请连接“XH-Guest”。"),
        ("访客 Wi-Fi 的密码在哪里获取？多久更换一次？",
         "访客 Wi-Fi 密码张贴在各楼层前台，每周一早上 8:00 自动更换，请勿通过邮件或微信群对外发送。"),
        ("个人手机可以连接员工 Wi-Fi 吗？",
         "不可以。个人手机、平板等设备只能连接 XH-Guest，XH-Staff 仅供公司配发的设备使用。"),
        ("网速很慢怎么办？",
         "请先确认是否连接了 XH-Staff 而不是 XH-Guest；视频会议时尽量使用有线网络，如仍有问题请联系 IT 服务台。"),
    ]),
    ("请假与考勤", [
        ("年假在哪里申请？",
         "登录 OA 系统，依次进入“人事服务 → 请假申请”，假期类型选择“年假”，提交后由直属上级审批。"),
        ("怎么查询自己还剩几天年假？",
         "打开“星河办公”App，进入“我的 → 假期余额”即可查看当年剩余年假和调休时长。"),
        ("忘记打卡了怎么办？",
         "在 OA 系统提交“补卡申请”并注明原因，由直属上级审批。"),
        ("病假的证明材料交给谁？",
         "在 OA 请假单中上传证明材料的照片，原件在返岗后一周内交到人力资源部吴敏处存档。"),
    ]),
    ("费用报销", [
        ("发票的抬头和税号是什么？",
         "抬头：星河科技有限公司；纳税人识别号：91330106MA2H8X6K3Q。抬头或税号错误的发票不能报销。"),
        ("电子发票怎么报销？",
         "在 OA 报销单中直接上传电子发票的 PDF 原件，无需打印；同一张发票系统会自动查重，不能重复报销。"),
        ("在哪里查看报销进度？",
         "登录 OA 系统，进入“财务服务 → 我的报销”，可以看到每张报销单的审批节点和付款状态。"),
        ("加班后打车回家可以报销吗？",
         "工作日加班到 21:00 以后，可使用“企业滴滴”因公叫车回家，费用由公司统一结算，个人无需垫付和报销。"),
    ]),
    ("行政与其他", [
        ("工牌丢了怎么办？",
         "请立即到前台挂失，补办工牌需缴纳工本费 20 元，当天即可领取新工牌。"),
        ("快递在哪里领取？",
         "快递统一存放在一楼收发室，领取时间为工作日 9:00 至 18:30，超过 7 天未领取的将退回。"),
        ("IT 服务台怎么联系？",
         "拨打分机 8000 或发邮件至 it-help@xinghe-tech.example，服务时间为工作日 8:30 至 18:30。"),
        ("公司有员工停车位吗？",
         "杭州总部地下二层有员工停车场，月卡 300 元/月，名额有限，请向行政部赵磊申请。"),
    ]),
]


def faq_lines() -> tuple[list[str], dict[str, tuple[int, int]]]:
    """The FAQ's lines and, for each question, its (question line, answer line), 1-based."""
    lines = [
        "星河科技有限公司  IT 与行政常见问题（FAQ）",
        "更新日期：2024-03-15    维护部门：行政部、IT 服务台",
        "说明：本文件为虚构示例，公司、人物、网址和电话均为虚构。",
        "",
    ]
    where: dict[str, tuple[int, int]] = {}
    n = 0
    for title, pairs in FAQ_SECTIONS:
        lines.append(f"【{title}】")
        for q, a in pairs:
            n += 1
            lines.append(f"问{n}：{q}")
            lines.append(f"答：{a}")
            where[q] = (len(lines) - 1, len(lines))
        lines.append("")
    return lines, where


def make_faq() -> dict[str, tuple[int, int]]:
    lines, where = faq_lines()
    # GBK with Windows line ends, as Notepad on a Chinese Windows saves it.
    (OUT / FAQ).write_bytes("\r\n".join(lines).encode("gbk") + b"\r\n")
    return where


GUIDE_TEXT = """\
# 访客与会议室指南 Visitor and Meeting Room Guide

星河科技有限公司 行政部 · 2024 年 3 月 · 虚构示例文件（fictional sample）

## 访客登记 Visitors

- 接待员工须在访客来访前一个工作日 18:00 前，在 OA 系统“行政服务 → 访客预约”中登记访客姓名、单位和来访时间。
- 访客到达后在 1 楼前台出示身份证件，领取当日有效的访客证；离开时交还访客证。
- 访客须由接待员工全程陪同，不得单独进入研发区（11F）和机房（B1）。
- Visitors must be registered in OA by 18:00 on the working day before the visit and escorted at all times.

## 会议室 Meeting rooms

| 会议室 Room | 楼层 Floor | 容纳人数 Seats | 设备 Equipment |
|---|---|---|---|
| 银河厅 Galaxy | 12F | 20 | 投影仪、视频会议终端 |
| 天狼星 Sirius | 12F | 8 | 电视屏幕、白板 |
| 猎户座 Orion | 11F | 6 | 电视屏幕 |
| 北极星 Polaris | 10F | 4 | 白板（电话间） |

## 预订规则 Booking rules

1. 通过企业微信“会议室”小程序预订，最多可提前 14 天预订。
2. 单次预订不超过 4 小时；银河厅预订超过 2 小时需行政部审批。
3. 会议开始 15 分钟后仍未签到的，预订自动释放。
4. 会后请擦净白板、关闭投影仪和空调。
"""


def make_guide() -> None:
    (OUT / GUIDE).write_bytes(GUIDE_TEXT.encode("utf-8"))


# --------------------------------------------------------------------------------------------------
# 5. Questions
# --------------------------------------------------------------------------------------------------


def expense_row(code: str) -> int:
    return EXPENSE_FIRST_ROW + [e[0] for e in EXPENSES].index(code)


def asset_row(code: str) -> int:
    return ASSET_FIRST_ROW + [a[0] for a in ASSETS].index(code)


def budget_row(dept: str) -> int:
    return BUDGET_FIRST_ROW + [b[0] for b in BUDGET].index(dept)


def guide_lines(needle: str) -> list[int]:
    hits = [i for i, line in enumerate(GUIDE_TEXT.splitlines(), start=1) if needle in line]
    assert len(hits) == 1, (needle, hits)
    return [hits[0], hits[0]]


def make_questions(faq_where: dict[str, tuple[int, int]]) -> None:
    def faq(q: str) -> dict:
        return {"lines": list(faq_where[q])}

    def row(sheet: str, r: int) -> dict:
        return {"sheet": sheet, "rows": [r, r]}

    P1 = "3 Passwords"
    qs: list[dict] = [
        # --- handbook (PDF) ---
        dict(question="公司的试用期是多长时间？", language="zh", file=HANDBOOK, location={"page": 2}, answer="试用期为 3 个月"),
        dict(question="How long is the probation period and how much salary is paid during it?", language="en",
             file=HANDBOOK, location={"page": 2}, answer="90% of the regular salary"),
        dict(question="公司规定的核心工作时间是几点到几点？", language="zh", file=HANDBOOK, location={"page": 3},
             answer="核心工作时间为 10:00–16:00"),
        dict(question="在公司工作满 5 年，每年有几天年假？", language="zh", file=HANDBOOK, location={"page": 4},
             answer="12 天", tags=["table"]),
        dict(question="How many days of annual leave do I get after ten years at Xinghe?", language="en",
             file=HANDBOOK, location={"page": 4}, answer="15 days after ten years"),
        dict(question="连续请病假 3 天需要提供什么证明？", language="zh", file=HANDBOOK, location={"page": 5},
             answer="二级及以上医院出具的诊断证明书"),
        dict(question="婚假有几天？", language="zh", file=HANDBOOK, location={"page": 5}, answer="13 天", tags=["table"]),
        dict(question="What is the deadline for submitting an expense claim?", language="en", file=HANDBOOK,
             location={"page": 6}, answer="within 30 days of the expense"),
        dict(question="去上海出差住酒店每晚最多能报多少钱？", language="zh", file=HANDBOOK, location={"page": 6},
             answer="550 元/晚", tags=["table"]),
        dict(question="remote work 每周最多可以几天？需要提前多久申请？", language="zh", tags=["mixed"], file=HANDBOOK,
             location={"page": 7}, answer="每周最多可远程办公 2 天"),
        # --- IT security policy (DOCX) ---
        dict(question="How often do I have to change my password?", language="en", file=POLICY,
             location={"heading": f"{P1} > 3.2 Rotation"}, answer="every 90 days"),
        dict(question="What is the minimum password length for administrator accounts?", language="en", file=POLICY,
             location={"heading": f"{P1} > 3.1 Complexity", "table": 2}, answer="16 characters", tags=["table"]),
        dict(question="机密级（Confidential）数据可以用个人邮箱发送吗？", language="zh", tags=["mixed"], file=POLICY,
             location={"heading": "2 Data Classification > 2.1 Classification Levels", "table": 1},
             answer="never send via personal e-mail"),
        dict(question="Policy section 4.3: can I use a USB stick on my work laptop?", language="en", file=POLICY,
             location={"heading": "4 Devices and Remote Access > 4.3 Removable Media"},
             answer="USB storage devices are blocked by default", tags=["section"]),
        dict(question="发现安全事件后必须在多长时间内上报？", language="zh", file=POLICY,
             location={"heading": "6 Incident Reporting > 6.2 How and When to Report"}, answer="within 1 hour"),
        dict(question="What is the response time for a P1 security incident?", language="en", file=POLICY,
             location={"heading": "6 Incident Reporting > 6.3 Severity Levels", "table": 3}, answer="15 minutes",
             tags=["table", "code"]),
        dict(question="What happens to old hard disks before they leave the company?", language="en", file=POLICY,
             location={"heading": "7 Data Retention and Disposal > 7.2 Disposal"}, answer="physically shredded"),
        # --- workbook (XLSX) ---
        dict(question="报销单 BX-2024-0023 为什么被驳回？", language="zh", file=WORKBOOK,
             location=row(EXPENSE_SHEET, expense_row("BX-2024-0023")), answer="超过 90 天未提交", tags=["code"]),
        dict(question="何俊 1 月份买网线、转换头报销了多少钱？", language="zh", file=WORKBOOK,
             location=row(EXPENSE_SHEET, expense_row("BX-2024-0012")), answer="386.5"),
        dict(question="资产编号 XH-IT-0010 是什么设备，放在哪里？", language="zh", file=WORKBOOK,
             location=row(ASSET_SHEET, asset_row("XH-IT-0010")), answer="FusionServer 2288H V6", tags=["code"]),
        dict(question="激光打印机 XH-IT-0003 的年折旧额是多少？", language="zh", file=WORKBOOK,
             location=row(ASSET_SHEET, asset_row("XH-IT-0003")), answer="760", tags=["code", "formula"]),
        dict(question="When was Sun Yue's 24-inch Dell monitor (XH-IT-0007) purchased?", language="en",
             file=WORKBOOK, location=row(ASSET_SHEET, asset_row("XH-IT-0007")), answer="2022-06-15", tags=["code", "date"]),
        dict(question="Which cost center does the R&D department use, and who owns its budget?", language="en",
             file=WORKBOOK, location=row(BUDGET_SHEET, budget_row("R&D")), answer="CC-300"),
        # --- FAQ (GBK text) ---
        dict(question="VPN 客户端在哪里下载？", language="zh", file=FAQ, location=faq("VPN 客户端在哪里下载？"),
             answer="soft.xinghe.local"),
        dict(question="打印机卡纸了怎么处理？", language="zh", file=FAQ, location=faq("打印机卡纸了怎么办？"),
             answer="按绿色把手指示的方向"),
        dict(question="访客 Wi-Fi 密码多久换一次？", language="zh", file=FAQ,
             location=faq("访客 Wi-Fi 的密码在哪里获取？多久更换一次？"), answer="每周一早上 8:00 自动更换"),
        dict(question="账号被锁定以后多久能自动解锁？", language="zh", file=FAQ, location=faq("账号被锁定了怎么办？"),
             answer="30 分钟后会自动解锁"),
        dict(question="OA 里在哪里申请年假？", language="zh", tags=["mixed"], file=FAQ, location=faq("年假在哪里申请？"),
             answer="人事服务 → 请假申请"),
        dict(question="发票抬头的税号是多少？", language="zh", file=FAQ, location=faq("发票的抬头和税号是什么？"),
             answer="91330106MA2H8X6K3Q", tags=["code"]),
        # --- guide (Markdown) ---
        dict(question="访客需要提前多久登记？", language="zh", file=GUIDE, location={"lines": guide_lines("访客预约")},
             answer="来访前一个工作日 18:00 前"),
        dict(question="How many people does the Galaxy meeting room seat?", language="en", file=GUIDE,
             location={"lines": guide_lines("银河厅 Galaxy")}, answer="20", tags=["table"]),
        # --- not in any sample ---
        dict(question="公司的股票期权需要几年才能全部归属？", language="zh", file=None, location=None, answer=None,
             answerable=False),
        dict(question="What is the dress code on Fridays?", language="en", file=None, location=None, answer=None,
             answerable=False),
        dict(question="员工食堂几点开始供应午餐？", language="zh", file=None, location=None, answer=None,
             answerable=False),
    ]
    out = []
    for i, q in enumerate(qs, start=1):
        q.setdefault("answerable", True)
        out.append({"id": f"q{i}", "question": q["question"], "language": q["language"], "file": q["file"],
                    "location": q["location"], "answer": q["answer"], "answerable": q["answerable"],
                    "tags": q.get("tags", [])})
    # one question per line: readable, and diffs stay small
    body = ",\n".join("  " + json.dumps(q, ensure_ascii=False) for q in out)
    (OUT / QUESTIONS).write_text(f"[\n{body}\n]\n", encoding="utf-8", newline="\n")


def main(argv: list[str] | None = None) -> None:
    global OUT
    import argparse

    parser = argparse.ArgumentParser(description="Generate the QwenRAG sample documents.")
    parser.add_argument("--out", type=Path, default=OUT, help="output folder (default: beside this script)")
    OUT = parser.parse_args(argv).out.resolve()
    OUT.mkdir(parents=True, exist_ok=True)
    make_handbook()
    make_policy()
    make_workbook()
    where = make_faq()
    make_guide()
    make_questions(where)
    for name in (HANDBOOK, POLICY, WORKBOOK, FAQ, GUIDE, QUESTIONS):
        print(f"{(OUT / name).stat().st_size:>9,}  {name}")


if __name__ == "__main__":
    main()
