"""servidor_hilos.py: un hilo por conexión, con llamadas bloqueantes.

Cómo ejecutarlo:

    py servidor_hilos.py          # 127.0.0.1:8080, hasta Ctrl+C
    py servidor_hilos.py 9000

Cada conexión aceptada recibe su propio hilo, que duerme en recv() sin
molestar a los demás: un cliente lento (`cliente_lento.py`) ya no hace
esperar al siguiente (`cliente.py`). Es el modelo de `sockmodes server
--mode blocking`. El precio: un hilo (una pila, cambios de contexto) por
conexión; con miles de conexiones se nota (docs/guia.md, sección 6).

Muestra cada mensaje completo cuando su cliente cierra. Funciona con
`cliente.py`, `cliente_lento.py`, `cliente_no_bloqueante.py` y
`sockmodes client message "Hola"`.
"""

import socket
import sys
import threading


def visible(datos):
    """Los bytes recibidos, como texto que se lee y no se obedece."""
    # Lo que llega de la red se muestra, nunca se obedece: impreso tal cual,
    # un ESC (\x1b) cambiaría el color o el título de tu terminal y un BEL
    # (\x07) lo haría sonar. Como repr(), esto escapa los caracteres de control
    # (\x1b, \x07, \x00, \n) y deja las tildes y la ñ como son; los bytes que no
    # son UTF-8 salen como \xff.
    texto = datos.decode("utf-8", errors="backslashreplace")
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in texto)


def atender(conexion, direccion):
    """El hilo de una conexión: recibe hasta el fin del flujo y lo muestra."""
    trozos = []
    with conexion:
        while True:
            trozo = conexion.recv(1024)      # solo ESTE hilo espera aquí
            if not trozo:
                break
            trozos.append(trozo)
    mensaje = visible(b"".join(trozos))
    print(f"[{threading.current_thread().name}] {direccion}: {mensaje}", flush=True)


def servidor(host="127.0.0.1", puerto=8080):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if sys.platform != "win32":
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, puerto))
    s.listen()
    print(f"Servidor (un hilo por conexión) escuchando en {host}:{puerto}", flush=True)
    # Un tiempo de espera en accept para que Ctrl+C funcione también en Windows
    s.settimeout(0.5)
    try:
        while True:
            try:
                conexion, direccion = s.accept()
            except socket.timeout:
                continue
            conexion.settimeout(None)        # la conexión, bloqueante
            threading.Thread(target=atender, args=(conexion, direccion), daemon=True).start()
    except KeyboardInterrupt:
        print("Servidor detenido", flush=True)
    finally:
        s.close()


if __name__ == "__main__":
    servidor(puerto=int(sys.argv[1]) if len(sys.argv) > 1 else 8080)
