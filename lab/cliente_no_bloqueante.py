"""cliente_no_bloqueante.py: BlockingIOError en un bucle, a la vista.

Cómo ejecutarlo (con un servidor en marcha):

    py cliente_no_bloqueante.py                 # 127.0.0.1:5050
    py cliente_no_bloqueante.py 9000 "Hola"
    py cliente_no_bloqueante.py --help

Con setblocking(False) ninguna llamada espera: si no puede completarse en
el acto lanza BlockingIOError (EAGAIN/EWOULDBLOCK; WSAEWOULDBLOCK 10035 en
Windows) y el programa sigue. Este cliente:

1. conecta sin esperar: connect_ex() devuelve "en curso" (EINPROGRESS,
   o 10035 en Windows) y el saludo en tres pasos termina después;
2. envía el mensaje y cierra su lado de escritura;
3. espera la respuesta del servidor (su cierre) con recv() en un bucle,
   contando cada BlockingIOError: cada una es un momento en que un socket
   bloqueante se habría quedado dormido.

Con `sockmodes server` (servicio message) el servidor cierra al recibir el
mensaje completo, y el recv() final devuelve b"".
"""

import errno
import select
import socket
import time

from arranque import opciones_de_cliente


def cliente(mensaje, host="127.0.0.1", puerto=5050):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)                  # igual que s.settimeout(0.0)

    codigo = s.connect_ex((host, puerto))
    print(f"connect_ex devolvió {codigo} ({errno.errorcode.get(codigo, 'OK')}): el saludo en tres pasos sigue en curso", flush=True)
    # Esperar a que el socket se pueda escribir: entonces el saludo en tres pasos ha terminado.
    # Si falla, Linux y macOS lo marcan también como escribible, pero Windows
    # lo pone en el tercer conjunto, el de errores: hay que mirar los dos
    # (si no, sin servidor esperaríamos los 5 s enteros).
    _, escribibles, errores = select.select([], [s], [s], 5)
    if not escribibles and not errores:
        raise TimeoutError(f"el saludo en tres pasos con {host}:{puerto} no terminó en 5 s")
    error = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if error:
        raise ConnectionRefusedError(error, f"no se pudo conectar a {host}:{puerto} ({errno.errorcode.get(error, error)})")
    print(f"Conectado a {host}:{puerto}", flush=True)

    s.sendall(mensaje.encode())           # un mensaje corto cabe entero en el búfer
    s.shutdown(socket.SHUT_WR)            # fin del mensaje
    print(f"Mensaje enviado: {mensaje}", flush=True)

    esperas = 0
    inicio = time.monotonic()
    while True:
        try:
            datos = s.recv(1024)
        except BlockingIOError:
            esperas += 1                  # nada todavía: hacer otra cosa y volver
            time.sleep(0.001)
            continue
        if not datos:
            break                         # b"": el servidor cerró
    s.close()
    segundos = f"{time.monotonic() - inicio:.3f}".replace(".", ",")
    veces = "vez" if esperas == 1 else "veces"
    print(f"El servidor cerró tras {segundos} s; "
          f"recv() lanzó BlockingIOError {esperas} {veces} mientras tanto", flush=True)


if __name__ == "__main__":
    args = opciones_de_cliente(
        "Un cliente no bloqueante: cuenta las veces que recv() lanza BlockingIOError "
        "mientras espera el cierre del servidor.").parse_args()
    cliente(args.mensaje, puerto=args.puerto)
