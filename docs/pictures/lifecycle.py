"""Draws lifecycle.svg and lifecycle-es.svg: a TCP connection's life as a
sequence diagram, with the Python call or exception at each step.

Run: python3 docs/pictures/lifecycle.py (from anywhere; writes beside itself).
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def svg(t, path):
    W, H = 940, 640
    cx, sx = 270, 600
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
        'font-family="sans-serif" font-size="13" role="img">',
        f'<title>{t["title"]}</title>',
        '<defs><marker id="a" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker>',
        '<marker id="r" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#c0392b"/></marker></defs>',
        f'<rect width="{W}" height="{H}" fill="white"/>',
        f'<text x="{W / 2}" y="26" text-anchor="middle" font-size="16" font-weight="bold">{t["title"]}</text>',
        f'<text x="{cx}" y="56" text-anchor="middle" font-weight="bold">{t["client"]}</text>',
        f'<text x="{sx}" y="56" text-anchor="middle" font-weight="bold">{t["server"]}</text>',
        f'<line x1="{cx}" y1="66" x2="{cx}" y2="{H - 20}" stroke="#999" stroke-dasharray="4 4"/>',
        f'<line x1="{sx}" y1="66" x2="{sx}" y2="{H - 20}" stroke="#999" stroke-dasharray="4 4"/>',
    ]
    y = 90

    def arrow(frm, label, red=False, left=None, right=None):
        nonlocal y
        x1, x2 = (cx, sx) if frm == "c" else (sx, cx)
        col, m = ("#c0392b", "r") if red else ("#333", "a")
        out.append(f'<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y + 18}" stroke="{col}" '
                   f'stroke-width="1.6" marker-end="url(#{m})"/>')
        out.append(f'<text x="{(cx + sx) / 2}" y="{y + 4}" text-anchor="middle" fill="{col}">{label}</text>')
        if left:
            out.append(f'<text x="{cx - 12}" y="{y + 14}" text-anchor="end" font-size="12" '
                       f'fill="#1f77b4">{left}</text>')
        if right:
            out.append(f'<text x="{sx + 12}" y="{y + 14}" font-size="12" fill="#1f77b4">{right}</text>')
        y += 34

    def band(text):
        nonlocal y
        out.append(f'<rect x="20" y="{y - 12}" width="{W - 40}" height="20" fill="#f2f2f2"/>')
        out.append(f'<text x="{W / 2}" y="{y + 3}" text-anchor="middle" font-style="italic">{text}</text>')
        y += 30

    band(t["b_connect"])
    arrow("c", "SYN", left="connect()")
    arrow("s", "SYN-ACK", right=t["backlog"])
    arrow("c", "ACK", left=t["connected"], right="accept()")
    band(t["b_data"])
    arrow("c", t["frame"], left="sendall()", right="recv()")
    arrow("s", t["answer"], left="recv()", right="send()")
    band(t["b_close"])
    arrow("s", "FIN", left=t["eof"], right=t["shut"])
    arrow("c", t["late"], right=t["discard"])
    arrow("c", "FIN", left="close()", right=t["recv0"])
    band(t["b_wrong"])
    arrow("c", "SYN", left="connect()", right=t["nobody"])
    arrow("s", "RST", red=True, left="ConnectionRefusedError")
    arrow("s", "RST", red=True, left="ConnectionResetError", right=t["unread"])
    out.append("</svg>")
    with open(os.path.join(HERE, path), "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


EN = dict(
    title="A TCP connection's life, and where each Python exception comes from",
    client="client (cliente.py)", server="server (sockmodes server)",
    b_connect="opening: the three-way handshake",
    backlog="the kernel answers; accept() may come later",
    connected="connect() returns",
    b_data="data: one frame, one answer",
    frame="frame: header + payload", answer="answer (echo)",
    b_close="closing without a reset: the lingering close",
    eof='recv() returns b"": end of stream',
    shut="shutdown(SHUT_WR), after every answer",
    late="bytes sent late", discard="read and thrown away",
    recv0="recv() returns 0: close()",
    b_wrong="when it goes wrong",
    nobody="nobody listens on the port",
    unread="input left unread, or over --max-conns",
)
ES = dict(
    title="La vida de una conexión TCP, y de dónde sale cada excepción de Python",
    client="cliente (cliente.py)", server="servidor (sockmodes server)",
    b_connect="apertura: el saludo en tres pasos",
    backlog="responde el kernel; accept() puede llegar después",
    connected="connect() vuelve",
    b_data="datos: una trama, una respuesta",
    frame="trama: cabecera + carga útil", answer="respuesta (eco)",
    b_close="cierre sin RST: el cierre diferido",
    eof='recv() devuelve b"": fin del flujo',
    shut="shutdown(SHUT_WR), tras todas las respuestas",
    late="bytes enviados tarde", discard="se leen y se descartan",
    recv0="recv() devuelve 0: close()",
    b_wrong="cuando algo va mal",
    nobody="nadie escucha en el puerto",
    unread="datos sin leer, o más de --max-conns",
)

if __name__ == "__main__":
    svg(EN, "lifecycle.svg")
    svg(ES, "lifecycle-es.svg")
