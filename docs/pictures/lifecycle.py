"""Draws lifecycle.svg and lifecycle-es.svg: the lab's exchange (cliente.py
sends "Hola, servidor!" to servidor.py) as a sequence diagram, packet by
packet as Wireshark shows it, with the Python call or exception at each one.

The packets are those of a capture of the two scripts on loopback
(tcpdump -i lo, Linux): the handshake; the message in one segment and its
ACK, with no answer (servidor.py sends nothing back); then the client closes
first (its FIN), the server's recv() returns b"" and its close() sends its
own FIN, which also acknowledges the client's; the client's ACK ends it.

Run: python3 docs/pictures/lifecycle.py (from anywhere; writes beside itself).
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def svg(t, path):
    W, H = 940, 690
    cx, sx = 290, 560
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

    def note(x, anchor, text):
        """A note beside a lifeline; a second line after a newline."""
        first, _, second = text.partition("\n")
        out.append(f'<text x="{x}" y="{y + 14}" text-anchor="{anchor}" font-size="12" fill="#1f77b4">'
                   f'{first}' + (f'<tspan x="{x}" dy="14">{second}</tspan>' if second else '') + '</text>')

    def arrow(frm, label, red=False, left=None, right=None):
        nonlocal y
        x1, x2 = (cx, sx) if frm == "c" else (sx, cx)
        col, m = ("#c0392b", "r") if red else ("#333", "a")
        out.append(f'<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y + 18}" stroke="{col}" '
                   f'stroke-width="1.6" marker-end="url(#{m})"/>')
        out.append(f'<text x="{(cx + sx) / 2}" y="{y + 4}" text-anchor="middle" fill="{col}">{label}</text>')
        if left:
            note(cx - 12, "end", left)
        if right:
            note(sx + 12, "start", right)
        y += 48 if "\n" in (left or "") + (right or "") else 34

    def band(text):
        nonlocal y
        out.append(f'<rect x="20" y="{y - 12}" width="{W - 40}" height="20" fill="#f2f2f2"/>')
        out.append(f'<text x="{W / 2}" y="{y + 3}" text-anchor="middle" font-style="italic">{text}</text>')
        y += 30

    band(t["b_connect"])
    arrow("c", "SYN", left="connect()")
    arrow("s", "SYN, ACK", right=t["backlog"])
    arrow("c", "ACK", left=t["connected"], right=t["accepted"])
    band(t["b_data"])
    arrow("c", t["message"], left="sendall()", right=t["recv"])
    arrow("s", "ACK", right=t["no_echo"])
    band(t["b_close"])
    arrow("c", "FIN, ACK", left=t["client_close"], right=t["eof"])
    arrow("s", "FIN, ACK", right=t["server_close"])
    arrow("c", "ACK", left=t["time_wait"])
    band(t["b_wrong"])
    arrow("c", "SYN", left="connect()", right=t["nobody"])
    arrow("s", "RST, ACK", red=True, left=t["refused"])
    arrow("s", "RST", red=True, left="ConnectionResetError", right=t["unread"])
    assert y <= H - 20, f"the diagram needs {y + 20} px"
    out.append("</svg>")
    with open(os.path.join(HERE, path), "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


EN = dict(
    title="The lab's exchange packet by packet, and where each Python exception comes from",
    client="client (cliente.py)", server="server (servidor.py)",
    b_connect="opening: the three-way handshake",
    backlog="the kernel answers; accept() may come later",
    connected="connect() returns", accepted="accept() returns",
    b_data="data: the message, and no answer",
    message="“Hola, servidor!” (15 bytes)", recv="recv(1024) returns it",
    no_echo="the kernel's ACK: servidor.py sends nothing back",
    b_close="closing: the client closes first",
    client_close="close(); prints “Mensaje enviado…”",
    eof='recv() returns b"": end of stream',
    server_close="prints “Mensaje recibido…”; close():\nits FIN also acknowledges the client's",
    time_wait="the kernel answers for the closed socket,\nwhich waits in TIME_WAIT (it closed first)",
    b_wrong="when it goes wrong",
    nobody="nobody listens on the port\n(the client started before the server)",
    refused="ConnectionRefusedError\n(Windows retries the SYN for about 2 s first)",
    unread="close() with bytes left unread cuts the\nconnection with RST (one recv(1024), a longer message)",
)
ES = dict(
    title="El intercambio de la práctica, paquete a paquete, y de dónde sale cada excepción de Python",
    client="cliente (cliente.py)", server="servidor (servidor.py)",
    b_connect="apertura: el saludo en tres pasos",
    backlog="responde el kernel; accept() puede llegar después",
    connected="connect() vuelve", accepted="accept() vuelve",
    b_data="datos: el mensaje, y ninguna respuesta",
    message="«Hola, servidor!» (15 bytes)", recv="recv(1024) lo devuelve",
    no_echo="el ACK del kernel: servidor.py no responde nada",
    b_close="cierre: el cliente cierra primero",
    client_close="close(); imprime «Mensaje enviado…»",
    eof='recv() devuelve b"": fin del flujo',
    server_close="imprime «Mensaje recibido…»; close():\nsu FIN confirma además el del cliente",
    time_wait="responde el kernel por el socket cerrado,\nque espera en TIME_WAIT (cerró primero)",
    b_wrong="cuando algo va mal",
    nobody="nadie escucha en el puerto\n(el cliente arrancó antes que el servidor)",
    refused="ConnectionRefusedError\n(Windows reintenta el SYN unos 2 s antes)",
    unread="close() con bytes sin leer corta la conexión\ncon RST (un solo recv(1024), un mensaje más largo)",
)

if __name__ == "__main__":
    svg(EN, "lifecycle.svg")
    svg(ES, "lifecycle-es.svg")
