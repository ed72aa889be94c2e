"""cliente_lento.py: un cliente que envía su mensaje byte a byte.

Cómo ejecutarlo (con un servidor en marcha):

    py cliente_lento.py                     # 127.0.0.1:5050, un byte por segundo
    py cliente_lento.py 9000 --pausa 0,2    # otro puerto, un byte cada 0,2 s
    py cliente_lento.py --help

Sirve para ver qué hace cada servidor mientras un cliente tarda:

- `servidor.py` o un servidor de UN hilo con llamadas bloqueantes se queda
  dormido en recv() esperando el siguiente byte: un segundo cliente
  (`py cliente.py`) espera a que este termine;
- `servidor_hilos.py` y `servidor_selectors.py` atienden al segundo cliente
  en el acto (un hilo por conexión; un bucle de eventos que nunca espera).

Con la pausa por defecto, 1 s, "Hola, despacio" (14 bytes) tarda 14 s:
tiempo de sobra para pasar a otro terminal y lanzar `py cliente.py`.

También muestra que TCP no guarda los límites de los mensajes: el servidor
recibe el texto en muchos recv() pequeños.
"""

import socket
import time

from arranque import opciones_de_cliente


def cliente_lento(mensaje, host="127.0.0.1", puerto=5050, pausa=1.0):
    s = socket.create_connection((host, puerto))
    # Sin Nagle: cada byte sale en su propio segmento (se ve en Wireshark)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    datos = mensaje.encode()
    cada = f"{pausa:g}".replace(".", ",")
    total = f"{len(datos) * pausa:g}".replace(".", ",")
    print(f"Conectado a {host}:{puerto}; enviando {len(datos)} bytes, uno cada "
          f"{cada} s (unos {total} s)", flush=True)
    for byte in datos:
        s.sendall(bytes([byte]))
        time.sleep(pausa)
    s.close()
    print(f"Mensaje enviado al servidor: {mensaje}", flush=True)


def segundos(texto):
    """Una pausa en segundos; con coma o con punto: 0,2 o 0.2."""
    valor = float(texto.replace(",", "."))
    if not valor >= 0:
        raise ValueError(texto)
    return valor


if __name__ == "__main__":
    opciones = opciones_de_cliente(
        "Un cliente lento: envía su mensaje byte a byte, con una pausa entre bytes.",
        mensaje="Hola, despacio", ayuda='el texto que envía (por defecto, "Hola, despacio": 14 bytes)')
    opciones.add_argument("--pausa", type=segundos, default=1.0, metavar="S",
                          help="segundos entre byte y byte (por defecto, 1: el mensaje por "
                               "defecto tarda 14 s, tiempo para pasar a otro terminal y "
                               "lanzar otro cliente); vale 0.2 o 0,2")
    args = opciones.parse_args()
    cliente_lento(args.mensaje, puerto=args.puerto, pausa=args.pausa)
