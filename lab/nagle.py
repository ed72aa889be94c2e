"""nagle.py: dos escrituras pequeñas, con Nagle y sin él.

Cómo ejecutarlo (no hace falta ningún otro servidor: lleva el suyo):

    py nagle.py                    # en 127.0.0.1:5050, con Nagle y sin él
    py nagle.py 9000 --veces 50    # otro puerto, 50 idas y vueltas de cada
    py nagle.py --nagle si         # solo con Nagle (para una captura corta)
    py nagle.py --help

Un servidor que responde "ok" solo tras recibir una trama entera (una
cabecera de 4 bytes y una carga útil de 4 bytes) y un cliente que envía las
dos partes en dos llamadas a send(): primero con Nagle (la opción por
defecto) y después con TCP_NODELAY. Escucha en un puerto fijo, y no en el 0,
para que el filtro de captura de Wireshark (`tcp port 5050`) lo vea.

Con Nagle, el segundo send() espera al ACK del primero, y el kernel del
servidor retrasa ese ACK (ACK retardado) con la esperanza de enviarlo junto
a una respuesta, que no llega hasta tener la trama entera: cada ida y
vuelta cuesta decenas de milisegundos (en Linux unos 40 ms; en Windows,
hasta unos 200 ms). Sin Nagle, decenas de microsegundos.
"""

import socket
import threading
import time

from arranque import opciones_con_puerto


def servidor(escucha):
    """Responde "ok" a cada trama de 8 bytes (4 de cabecera y 4 de carga útil)."""
    conexion, _ = escucha.accept()
    with conexion:
        while True:
            datos = bytearray()
            while len(datos) < 8:                  # la trama entera: 4 + 4 bytes
                trozo = conexion.recv(8 - len(datos))
                if not trozo:
                    return
                datos += trozo
            conexion.sendall(b"ok")                # la respuesta, solo entonces


def medir(puerto, nodelay, veces):
    """La mediana, en ms, de `veces` idas y vueltas con TCP_NODELAY = nodelay."""
    escucha = socket.create_server(("127.0.0.1", puerto))
    hilo = threading.Thread(target=servidor, args=(escucha,), daemon=True)
    hilo.start()
    s = socket.create_connection(("127.0.0.1", puerto))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, nodelay)
    tiempos = []
    for _ in range(veces):
        inicio = time.perf_counter()
        s.send(b"\x00\x00\x00\x04")                # la cabecera: un send()
        s.send(b"hola")                            # la carga útil: otro send()
        respuesta = b""
        while len(respuesta) < 2:
            respuesta += s.recv(2 - len(respuesta))
        tiempos.append(time.perf_counter() - inicio)
    s.close()                                      # el cliente cierra primero
    hilo.join()
    escucha.close()
    tiempos.sort()
    return tiempos[len(tiempos) // 2] * 1000


if __name__ == "__main__":
    opciones = opciones_con_puerto(
        "Dos send() pequeños por trama, con Nagle y sin él: la mediana de cada ida y vuelta.",
        "el puerto en 127.0.0.1 en el que escucha su servidor")
    opciones.add_argument("--veces", type=int, default=20, metavar="N",
                          help="idas y vueltas de cada modo (por defecto, 20)")
    opciones.add_argument("--nagle", choices=["si", "no", "ambos"], default="ambos",
                          help="con Nagle (si), con TCP_NODELAY (no) o los dos, uno tras otro "
                               "(por defecto, ambos)")
    args = opciones.parse_args()
    if args.veces < 1:
        opciones.error("--veces: al menos 1")
    modos = {"si": [0], "no": [1], "ambos": [0, 1]}[args.nagle]
    for nodelay in modos:
        mediana = f"{medir(args.puerto, nodelay, args.veces):.2f}".replace(".", ",")
        nombre = "sin Nagle (TCP_NODELAY=1)" if nodelay else "con Nagle (TCP_NODELAY=0)"
        print(f"{nombre}: mediana {mediana} ms por ida y vuelta ({args.veces} veces)", flush=True)
