"""servidor.py: el servidor bloqueante de la práctica.

Cómo ejecutarlo (Windows, macOS o Linux, con Python 3 y nada más):

    py servidor.py            # escucha en 127.0.0.1:8080
    py servidor.py 9000       # en otro puerto

Atiende UNA conexión: acepta, recibe el mensaje hasta que el cliente cierra
su lado, lo muestra y termina. Funciona con `cliente.py`, con
`cliente_lento.py` y con `sockmodes client message "Hola"` (cualquier --mode).

A diferencia de la práctica original, que hace un solo recv(1024), este lee
hasta que recv devuelve b"" (fin del flujo): TCP es un flujo de bytes y un
mensaje puede llegar en varios trozos (pruébalo con cliente_lento.py).
"""

import socket
import sys


def servidor(host="127.0.0.1", puerto=8080):
    # Crear un socket TCP/IP
    servidor_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Poder reutilizar el puerto justo después de cerrar (Linux y macOS)
    if sys.platform != "win32":
        servidor_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)

    # Establecer el socket como bloqueante
    servidor_socket.setblocking(True)

    # Vincular el socket al puerto y escuchar
    servidor_socket.bind((host, puerto))
    servidor_socket.listen(1)
    print(f"Servidor escuchando en {host}:{puerto}", flush=True)

    # Esperar a que llegue una conexión: accept() se bloquea aquí (ver aceptar())
    conexion, direccion = aceptar(servidor_socket)
    print(f"Conexión aceptada de {direccion}", flush=True)

    # recv() se bloquea hasta que llegan bytes; b"" significa que el cliente cerró
    trozos = []
    while True:
        trozo = conexion.recv(1024)
        if not trozo:
            break
        trozos.append(trozo)
    mensaje = visible(b"".join(trozos))
    print(f"Mensaje recibido: {mensaje}", flush=True)

    # Cerrar la conexión y el socket del servidor
    conexion.close()
    servidor_socket.close()


def visible(datos):
    """Los bytes recibidos, como texto que se lee y no se obedece."""
    # Lo que llega de la red se muestra, nunca se obedece: impreso tal cual,
    # un ESC (\x1b) cambiaría el color o el título de tu terminal y un BEL
    # (\x07) lo haría sonar. Como repr(), esto escapa los caracteres de control
    # (\x1b, \x07, \x00, \n) y deja las tildes y la ñ como son; los bytes que no
    # son UTF-8 salen como \xff.
    texto = datos.decode("utf-8", errors="backslashreplace")
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in texto)


def aceptar(servidor_socket):
    """accept() en tramos de 0,5 s, para que Ctrl+C funcione también en Windows."""
    # En Windows, Python no atiende Ctrl+C mientras accept() espera sin tiempo
    # de espera: solo cuando llega un cliente. Con un tiempo de espera de
    # 0,5 s, accept() vuelve a menudo y Ctrl+C llega; quien se conecta no nota
    # nada (lo mismo hace servidor_hilos.py).
    servidor_socket.settimeout(0.5)
    while True:
        try:
            conexion, direccion = servidor_socket.accept()
        except socket.timeout:
            continue                      # nadie todavía: seguir esperando
        conexion.settimeout(None)         # la conexión, bloqueante
        return conexion, direccion


if __name__ == "__main__":
    try:
        servidor(puerto=int(sys.argv[1]) if len(sys.argv) > 1 else 8080)
    except KeyboardInterrupt:
        print("Servidor detenido", flush=True)
